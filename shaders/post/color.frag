#version 330
// Colour grade: hue rotation, saturation, brightness and contrast.
uniform sampler2D source;
uniform float hue;        // turns
uniform float saturation;
uniform float brightness;
uniform float contrast;
in vec2 uv;
out vec4 color;
const float PI = 3.14159265358979;

void main() {
    vec3 c = texture(source, uv).rgb;
    // Hue rotation about the grey axis (Rodrigues' formula).
    float a = hue * 2.0 * PI;
    vec3 k = vec3(0.57735026919);
    c = c * cos(a) + cross(k, c) * sin(a) + k * dot(k, c) * (1.0 - cos(a));
    float luma = dot(c, vec3(0.2126, 0.7152, 0.0722));
    c = mix(vec3(luma), c, saturation);
    c = (c - 0.5) * contrast + 0.5 + brightness;
    color = vec4(clamp(c, 0.0, 1.0), 1.0);
}
