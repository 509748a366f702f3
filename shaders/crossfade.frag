#version 330
// Upscale styles A and B from the internal resolution (Catmull-Rom) and crossfade them.
// The CPPN pictures are uploaded top row first, so v is flipped when sampling.
uniform sampler2D style_a;
uniform sampler2D style_b;
uniform float xfade;      // 0 = only A, 1 = only B
in vec2 uv;
out vec4 color;

// Catmull-Rom in 9 bilinear taps (5 after dropping corners), after Jorge Jimenez.
vec3 catmull_rom(sampler2D tex, vec2 p) {
    vec2 size = vec2(textureSize(tex, 0));
    vec2 pos = p * size;
    vec2 c = floor(pos - 0.5) + 0.5;
    vec2 f = pos - c;
    vec2 w0 = f * (-0.5 + f * (1.0 - 0.5 * f));
    vec2 w1 = 1.0 + f * f * (-2.5 + 1.5 * f);
    vec2 w2 = f * (0.5 + f * (2.0 - 1.5 * f));
    vec2 w3 = f * f * (-0.5 + 0.5 * f);
    vec2 w12 = w1 + w2;
    vec2 t0 = (c - 1.0) / size;
    vec2 t3 = (c + 2.0) / size;
    vec2 t12 = (c + w2 / w12) / size;
    vec3 r = texture(tex, vec2(t12.x, t0.y)).rgb * w12.x * w0.y
           + texture(tex, vec2(t0.x, t12.y)).rgb * w0.x * w12.y
           + texture(tex, t12).rgb * w12.x * w12.y
           + texture(tex, vec2(t3.x, t12.y)).rgb * w3.x * w12.y
           + texture(tex, vec2(t12.x, t3.y)).rgb * w12.x * w3.y;
    float norm = w12.x * w0.y + w0.x * w12.y + w12.x * w12.y + w3.x * w12.y + w12.x * w3.y;
    return clamp(r / norm, 0.0, 1.0);
}

void main() {
    vec2 p = vec2(uv.x, 1.0 - uv.y);
    vec3 a = xfade < 1.0 ? catmull_rom(style_a, p) : vec3(0.0);
    vec3 b = xfade > 0.0 ? catmull_rom(style_b, p) : vec3(0.0);
    color = vec4(mix(a, b, xfade), 1.0);
}
