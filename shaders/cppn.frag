#version 330
// The CPPN per pixel, for one style or both styles of a crossfade (one per color attachment).
// The backend inserts `#define WIDTH4 n` (the widest style's neurons / 4, padded) after line 1.
// Loop bounds are uniforms on purpose: constant bounds let drivers unroll width x width x depth.
precision highp float;
precision highp int;

// Folded weights, four floats a texel (layout: cppn/network.glsl); texel k sits at
// (k & row_mask, k >> row_shift). A style is its layer-1 coordinate weights (texel 3j + c:
// coordinate c to outputs 4j..4j+3), its depth - 1 hidden layers, then the output layer.
uniform sampler2D weights;
uniform int row_shift;
uniform int styles;          // 1 or 2
uniform ivec3 shape[2];      // per style: first texel, padded width / 4, depth
layout(std140) uniform FrameBias {
    vec4 frame_bias[2 * WIDTH4];  // layer 1's per-frame part; style s from s * WIDTH4
};

uniform vec2 size;           // the picture, in pixels
uniform vec3 view;           // cos(rotation), sin(rotation), zoom
uniform vec2 pan;
uniform int symmetry;

layout(location = 0) out vec4 color_a;
layout(location = 1) out vec4 color_b;

vec4 fetch(int k) {
    return texelFetch(weights, ivec2(k & ((1 << row_shift) - 1), k >> row_shift), 0);
}

#include "cppn/coords.glsl"
#include "cppn/network.glsl"

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
    return output_layer(base, w4, src);
}

void main() {
    // Row 0 of the target is the top row of the picture (it is read back top row first).
    vec3 p = coordinates(gl_FragCoord.xy, size, view, pan, symmetry);
    color_a = network(0, p);
    if (styles > 1) {
        color_b = network(1, p);
    }
}
