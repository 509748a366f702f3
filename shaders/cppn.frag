#version 330
// The CPPN per pixel, for one style or both styles of a crossfade (one per color attachment).
// The backend inserts `#define WIDTH4 n` (the widest style's neurons / 4, rounded up) after line 1.
// Loop bounds are uniforms on purpose: constant bounds let drivers unroll width x width x depth.
precision highp float;
precision highp int;

const float PI = 3.14159265358979;
const float R_SCALE = PI / sqrt(2.0);  // r = pi at the corners of a square frame

// Folded weights, four floats a texel; texel k sits at (k & row_mask, k >> row_shift).
// A dense layer in -> out is ceil(out/4) runs of ceil(in/4) 4x4 blocks (texel 4i + c of run j
// holds input 4i + c's weights to outputs 4j..4j+3), then ceil(out/4) bias texels.
// A style is its layer-1 coordinate weights (texel 3j + c: coordinate c to outputs 4j..4j+3),
// its depth - 1 hidden layers, then the output layer (3 outputs, padded to 4). Widths are padded
// to a multiple of 32 neurons (with zeros, so padding neurons stay 0).
uniform sampler2D weights;
uniform int row_shift;
uniform int styles;          // 1 or 2
uniform ivec3 shape[2];      // per style: first texel, padded width / 4, depth
layout(std140) uniform FrameBias {
    vec4 frame_bias[2 * WIDTH4];  // layer 1's per-frame part; style s from s * WIDTH4
};

uniform ivec2 size;          // the picture, in pixels
uniform vec3 view;           // cos(rotation), sin(rotation), zoom
uniform vec2 pan;
uniform int symmetry;        // 0 none, 1 mirror x, 2 mirror both, n >= 3 n-fold kaleidoscope

layout(location = 0) out vec4 color_a;
layout(location = 1) out vec4 color_b;

vec4 h[2 * WIDTH4];  // two layers' activations: the one read and the one written

vec4 fetch(int k) {
    return texelFetch(weights, ivec2(k & ((1 << row_shift) - 1), k >> row_shift), 0);
}

// Four inputs x times the 4x4 block at texel k: their part of four outputs.
vec4 step4(vec4 x, int k) {
    return x.x * fetch(k) + x.y * fetch(k + 1) + x.z * fetch(k + 2) + x.w * fetch(k + 3);
}

// Inputs h[s..s+7] (32 neurons) times the eight 4x4 blocks from texel k: their part of four outputs.
vec4 step32(int s, int k) {
    return step4(h[s], k) + step4(h[s + 1], k + 4) + step4(h[s + 2], k + 8) + step4(h[s + 3], k + 12)
         + step4(h[s + 4], k + 16) + step4(h[s + 5], k + 20) + step4(h[s + 6], k + 24)
         + step4(h[s + 7], k + 28);
}

// h[dst..] = sin(h[src..] . W + b) for the hidden layer at `base` (w4 groups in and out). A step
// takes 32 inputs to 32 outputs, written out by hand: that keeps a 1024 x 16 network (twice, in
// a crossfade) under llvmpipe's cap of 65535 loop iterations per shader invocation.
void hidden_layer(int base, int w4, int src, int dst) {
    int run = 4 * w4;  // texels from one output group's blocks to the next's
    for (int j = 0; j < w4; j += 8) {
        int bias = base + run * w4 + j;
        vec4 a0 = fetch(bias), a1 = fetch(bias + 1), a2 = fetch(bias + 2), a3 = fetch(bias + 3);
        vec4 a4 = fetch(bias + 4), a5 = fetch(bias + 5), a6 = fetch(bias + 6), a7 = fetch(bias + 7);
        int k = base + run * j;
        for (int i = 0; i < w4; i += 8) {
            int s = src + i;
            a0 += step32(s, k);
            a1 += step32(s, k + run);
            a2 += step32(s, k + 2 * run);
            a3 += step32(s, k + 3 * run);
            a4 += step32(s, k + 4 * run);
            a5 += step32(s, k + 5 * run);
            a6 += step32(s, k + 6 * run);
            a7 += step32(s, k + 7 * run);
            k += 32;
        }
        h[dst + j] = sin(a0);
        h[dst + j + 1] = sin(a1);
        h[dst + j + 2] = sin(a2);
        h[dst + j + 3] = sin(a3);
        h[dst + j + 4] = sin(a4);
        h[dst + j + 5] = sin(a5);
        h[dst + j + 6] = sin(a6);
        h[dst + j + 7] = sin(a7);
    }
}

// Pixel centre -> (x, y, r), as vjengine.model.coords does: the short side spans [-1, 1], then
// rotation, zoom, pan and symmetry, then scaled to [-pi, pi]. Row 0 is the top of the picture.
vec3 coordinates() {
    float half_short = 0.5 * float(min(size.x, size.y));
    float u = (gl_FragCoord.x - 0.5 * float(size.x)) / half_short;
    float v = (0.5 * float(size.y) - gl_FragCoord.y) / half_short;
    float zoom = max(view.z, 1e-6);
    vec2 q = vec2(view.x * u - view.y * v, view.y * u + view.x * v) / zoom + pan;
    if (symmetry == 1) {
        q.x = abs(q.x);
    } else if (symmetry == 2) {
        q = abs(q);
    } else if (symmetry >= 3) {
        float rho = length(q);
        if (rho > 0.0) {
            float wedge = 2.0 * PI / float(symmetry);
            float angle = mod(atan(q.y, q.x), wedge);
            angle = angle > 0.5 * wedge ? wedge - angle : angle;
            q = rho * vec2(cos(angle), sin(angle));
        }
    }
    return vec3(PI * q, R_SCALE * length(q));
}

// One style's colour, already rounded to 8 bits like the other backends (x * 255 + 0.5, floored).
vec4 network(int s, vec3 p) {
    int base = shape[s].x, w4 = shape[s].y, depth = shape[s].z;
    for (int j = 0; j < w4; ++j) {
        int k = base + 3 * j;
        h[j] = sin(frame_bias[s * WIDTH4 + j] + p.x * fetch(k) + p.y * fetch(k + 1) + p.z * fetch(k + 2));
    }
    base += 3 * w4;
    int src = 0;
    for (int layer = 1; layer < depth; ++layer) {
        hidden_layer(base, w4, src, WIDTH4 - src);
        src = WIDTH4 - src;
        base += 4 * w4 * w4 + w4;
    }
    vec4 logits = fetch(base + 4 * w4);
    for (int i = 0; i < w4; i += 8) {
        logits += step32(src + i, base + 4 * i);
    }
    vec3 rgb = 1.0 / (1.0 + exp(-logits.xyz));
    return vec4(floor(rgb * 255.0 + 0.5) / 255.0, 1.0);
}

void main() {
    vec3 p = coordinates();
    color_a = network(0, p);
    if (styles > 1) {
        color_b = network(1, p);
    }
}
