// "$name" ($slug): a vjengine style as one self-contained fragment shader, for $host.
// Exported by `vjengine export-glsl`: $width x $depth sine network, weights inlined below.
//
// Inputs (the engine's conditioning layout $layout; the same values draw the engine's picture):
//   iResolution.xy  output size in pixels
//   iTime           scene time in seconds; the slow time phase turns once every $period s
//   uBeatPhase      position in the current beat, 0..1 (0 on the beat)
//   uBands          bass, mid, treble, level, each 0..1 (0.5 = a band's running average)
//   uOnset          onset envelope, 0..1 (1 at an onset, decaying)
//   uView           zoom (0, as an unset uniform reads, counts as 1), rotation (radians),
//                   pan x, pan y (in units of the short half-side)
//   uSymmetry       0 none, 1 mirror left/right, 2 mirror both axes, n >= 3 an n-fold kaleidoscope$extra_inputs
// $wiring
$preamble
precision highp float;
precision highp int;

#define WIDTH4 $width4
const int IN4 = $in4;  // layer 1's inputs (x, y, r, the conditioning slots) in groups of four
const int DEPTH = $depth;
const float TIME_PERIOD = $period;

// The weights, four floats a texel, in chunks of 256 texels (compilers slow down with the square
// of a constant array's length). Layer 1 as a dense layer from its 4 * IN4 inputs (x, y, r, the
// conditioning values, zeros), the hidden layers, then the output layer: each is ceil(out/4) runs of
// ceil(in/4) 4x4 blocks (texel 4i + c of run j holds input 4i + c's weights to outputs
// 4j..4j+3), then ceil(out/4) bias texels. Widths are padded to a multiple of 32 with zeros.
$weights
vec4 fetch(int k) {
    int i = k & 255;
    switch (k >> 8) {
$cases
    }
    return vec4(0.0);
}

#include "cppn/coords.glsl"

vec4 h[2 * WIDTH4];  // two layers' activations: the one read and the one written

// acc + the 4 * in4 inputs from h[src] times their weights to four outputs, from texel k. One
// fetch a step: every fetch site costs compile time, and the loop keeps each site's cost once.
vec4 dense_run(vec4 acc, int k, int src, int in4, int zero) {
    for (int i = zero; i < 4 * in4; ++i) {
        acc += fetch(k + i) * h[src + (i >> 2)][i & 3];
    }
    return acc;
}

vec4 cppn_style(vec2 fragCoord) {
    // A zero the compiler cannot prove: loops bounded by it stay loops instead of being unrolled.
    int zero = min(int(iResolution.x), 0);
    int w4 = WIDTH4 + zero;
    vec2 pixel = vec2(fragCoord.x, iResolution.y - fragCoord.y);  // from the top-left corner
    float zoom = uView.x == 0.0 ? 1.0 : uView.x;
    vec3 p = coordinates(pixel, iResolution.xy, vec3(cos(uView.y), sin(uView.y), zoom), uView.zw,
                         int(uSymmetry + 0.5));
    float time_phase = 2.0 * PI * iTime / TIME_PERIOD;
    float beat_phase = 2.0 * PI * uBeatPhase;
    int src = WIDTH4;  // layer 1's inputs, in the layout's order, wait in the second half of h
$fill_inputs
    for (int j = zero; j < w4; ++j) {
        h[j] = sin(dense_run(fetch(4 * IN4 * w4 + j), 4 * IN4 * j, src, IN4, zero));
    }
    int base = (4 * IN4 + 1) * w4;
    src = 0;
    for (int layer = 1 + zero; layer < DEPTH; ++layer) {
        int dst = WIDTH4 - src;
        for (int j = zero; j < w4; ++j) {
            h[dst + j] = sin(dense_run(fetch(base + 4 * w4 * w4 + j), base + 4 * w4 * j, src, w4, zero));
        }
        src = dst;
        base += 4 * w4 * w4 + w4;
    }
    vec3 rgb = 1.0 / (1.0 + exp(-dense_run(fetch(base + 4 * w4), base, src, w4, zero).xyz));
    return vec4(floor(rgb * 255.0 + 0.5) / 255.0, 1.0);  // rounded to 8 bits like the engine
}
$entry
