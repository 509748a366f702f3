#version 330
// HUD overlay: the text panel (RGBA, top-left) and a beat lamp, alpha-blended over the picture.
uniform sampler2D panel;
uniform vec2 panel_origin;  // bottom-left of the panel in window pixels
uniform vec2 lamp_centre;   // window pixels
uniform float lamp;         // 0..1 beat blink
in vec2 uv;
out vec4 color;

void main() {
    vec2 p = gl_FragCoord.xy - panel_origin;
    vec2 size = vec2(textureSize(panel, 0));
    float d = distance(gl_FragCoord.xy, lamp_centre);
    if (d < 7.0) {
        color = vec4(1.0, 0.25, 0.4, max(lamp, 0.15));
        return;
    }
    if (any(lessThan(p, vec2(0.0))) || any(greaterThanEqual(p, size))) {
        discard;
    }
    color = texture(panel, vec2(p.x / size.x, 1.0 - p.y / size.y));
}
