#version 330
// Upscale + present: the finished picture onto the screen or a read-back target, flipping rows if
// asked. mode 0: bilinear; 1: Catmull-Rom; 2: contrast-adaptive sharpening of a picture already at
// the target's size (the second half of the edge upscale, after easu.frag).
//
// Sharpening after AMD FidelityFX Super Resolution 1.0's RCAS (T. Lottes, AMD, 2021: "FidelityFX
// Super Resolution", GPUOpen; ffx_fsr1.h): each pixel is pushed away from the mean of its four
// neighbours by a negative lobe, as strong as `sharpness` allows but capped so that no channel
// leaves the neighbourhood's [min, max] (no ringing, no clipping).
uniform sampler2D source;
uniform bool flip_y;
uniform int mode;
uniform float sharpness;  // 0..1: RCAS's lobe scale, exp2(-stops)
in vec2 uv;
out vec4 color;

const float RCAS_LIMIT = 0.25 - 1.0 / 16.0;  // the strongest lobe RCAS allows

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

vec3 rcas(sampler2D tex, vec2 p) {
    ivec2 size = textureSize(tex, 0);
    ivec2 i = clamp(ivec2(p * vec2(size)), ivec2(0), size - 1);
    vec3 b = texelFetch(tex, clamp(i + ivec2(0, 1), ivec2(0), size - 1), 0).rgb;
    vec3 d = texelFetch(tex, clamp(i - ivec2(1, 0), ivec2(0), size - 1), 0).rgb;
    vec3 e = texelFetch(tex, i, 0).rgb;
    vec3 f = texelFetch(tex, clamp(i + ivec2(1, 0), ivec2(0), size - 1), 0).rgb;
    vec3 h = texelFetch(tex, clamp(i - ivec2(0, 1), ivec2(0), size - 1), 0).rgb;
    vec3 mn4 = min(min(b, d), min(f, h));
    vec3 mx4 = max(max(b, d), max(f, h));
    // The lobe at which the result would reach 0 (hit_min) or 1 (hit_max), per channel.
    vec3 hit_min = min(mn4, e) / max(4.0 * mx4, 1e-5);
    vec3 hit_max = (1.0 - max(mx4, e)) / min(4.0 * mn4 - 4.0, -1e-5);
    vec3 lobe3 = max(-hit_min, hit_max);
    float lobe = max(-RCAS_LIMIT, min(max(lobe3.r, max(lobe3.g, lobe3.b)), 0.0)) * sharpness;
    return clamp((lobe * (b + d + f + h) + e) / (4.0 * lobe + 1.0), 0.0, 1.0);
}

void main() {
    vec2 p = flip_y ? vec2(uv.x, 1.0 - uv.y) : uv;
    vec3 c = mode == 2 ? rcas(source, p) : mode == 1 ? catmull_rom(source, p) : texture(source, p).rgb;
    color = vec4(c, 1.0);
}
