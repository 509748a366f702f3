#version 330
// Video feedback: keep `amount` of the previous frame, drifting it outward a little.
uniform sampler2D source;
uniform sampler2D history;
uniform float amount;
in vec2 uv;
out vec4 color;

void main() {
    vec3 now = texture(source, uv).rgb;
    vec3 before = texture(history, (uv - 0.5) * 0.995 + 0.5).rgb;
    color = vec4(max(now, mix(now, before, amount)), 1.0);
}
