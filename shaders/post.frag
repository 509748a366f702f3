#version 330
// Every post effect in one pass at the CPPN's resolution, in this order: crossfade A -> B,
// kaleidoscope, trails (video feedback), colour grade, beat flash. Neutral effects cost nothing
// but a branch on a uniform. The CPPN pictures are uploaded top row first, so v is flipped when
// sampling them; the result is a GL texture (bottom row first) that present.frag upscales.
uniform sampler2D style_a;
uniform sampler2D style_b;
uniform sampler2D history;  // last frame's feedback (before the grade and flash)
uniform float xfade;        // 0 = only A, 1 = only B
uniform float segments;     // kaleidoscope wedges; below 2: off
uniform float angle;        // rotation of the wedges (radians)
uniform float aspect;       // width / height
uniform float trails;       // feedback kept from the last frame; 0: off
uniform bool grade;
uniform float hue;          // turns
uniform float saturation;
uniform float brightness;
uniform float contrast;
uniform float flash;        // 0..1, see flash_burn (already limited to a safe rate)
in vec2 uv;
layout(location = 0) out vec4 picture;
layout(location = 1) out vec4 feedback;  // the next frame's history (black while trails are off)
const float PI = 3.14159265358979;

vec3 styles(vec2 st) {
    vec2 p = vec2(st.x, 1.0 - st.y);
    vec3 a = xfade < 1.0 ? texture(style_a, p).rgb : vec3(0.0);
    vec3 b = xfade > 0.0 ? texture(style_b, p).rgb : vec3(0.0);
    return mix(a, b, xfade);
}

// Fold uv into `segments` mirrored wedges around the centre (mirror-repeating outside the picture).
vec2 kaleidoscope(vec2 st) {
    vec2 p = (st - 0.5) * vec2(aspect, 1.0);
    float wedge = 2.0 * PI / segments;
    float a = mod(atan(p.y, p.x) - angle, wedge);
    a = min(a, wedge - a) + angle;
    vec2 q = length(p) * vec2(cos(a), sin(a));
    return abs(mod(q / vec2(aspect, 1.0) + 0.5 + 1.0, 2.0) - 1.0);
}

// Hue rotation about the grey axis (Rodrigues' formula), saturation, brightness, contrast.
vec3 colour_grade(vec3 c) {
    float a = hue * 2.0 * PI;
    vec3 k = vec3(0.57735026919);
    c = c * cos(a) + cross(k, c) * sin(a) + k * dot(k, c) * (1.0 - cos(a));
    float luma = dot(c, vec3(0.2126, 0.7152, 0.0722));
    c = mix(vec3(luma), c, saturation);
    return clamp((c - 0.5) * contrast + 0.5 + brightness, 0.0, 1.0);
}

// A flash that punches to white: exposure rises 1 + 2 * amount and a little light lifts the
// blacks (amount^2), so highlights burn out first and the picture keeps its shapes instead of
// washing to a flat milky grey; at 1 the whole frame is white.
vec3 flash_burn(vec3 c, float amount) {
    return min(c * (1.0 + 2.0 * amount) + amount * amount, 1.0);
}

void main() {
    vec3 c = styles(segments >= 2.0 ? kaleidoscope(uv) : uv);
    if (trails > 0.0) {
        // Keep `trails` of the previous frame, drifting it outward a little.
        vec3 before = texture(history, (uv - 0.5) * 0.995 + 0.5).rgb;
        c = max(c, mix(c, before, trails));
        feedback = vec4(c, 1.0);
    } else {
        feedback = vec4(0.0, 0.0, 0.0, 1.0);
    }
    if (grade) {
        c = colour_grade(c);
    }
    picture = vec4(flash > 0.0 ? flash_burn(c, flash) : c, 1.0);
}
