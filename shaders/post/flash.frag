#version 330
// Beat flash and strobe: mix toward white by `amount` (already limited to a safe rate).
uniform sampler2D source;
uniform float amount;
in vec2 uv;
out vec4 color;

void main() {
    color = vec4(mix(texture(source, uv).rgb, vec3(1.0), amount), 1.0);
}
