#version 330
// Kaleidoscope: fold the picture into `segments` mirrored wedges around the centre.
uniform sampler2D source;
uniform float segments;
uniform float angle;      // rotation of the wedges (radians)
uniform float aspect;     // width / height
in vec2 uv;
out vec4 color;
const float PI = 3.14159265358979;

void main() {
    vec2 p = (uv - 0.5) * vec2(aspect, 1.0);
    float wedge = 2.0 * PI / segments;
    float a = mod(atan(p.y, p.x) - angle, wedge);
    a = min(a, wedge - a) + angle;
    vec2 q = length(p) * vec2(cos(a), sin(a));
    vec2 st = q / vec2(aspect, 1.0) + 0.5;
    color = texture(source, abs(mod(st + 1.0, 2.0) - 1.0));
}
