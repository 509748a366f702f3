// The CPPN's layers, for shaders/cppn.frag.
// The includer defines WIDTH4 (the widest network's neurons / 4, padded to a multiple of 8) and
// `vec4 fetch(int k)`, which returns weight texel k. The weight layout:
// a dense layer in -> out is ceil(out/4) runs of ceil(in/4) 4x4 blocks (texel 4i + c of run j
// holds input 4i + c's weights to outputs 4j..4j+3), then ceil(out/4) bias texels.
// Widths are padded to a multiple of 32 neurons with zeros, so padding neurons stay 0.

vec4 fetch(int k);

vec4 h[2 * WIDTH4];  // two layers' activations: the one read and the one written

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

// sigmoid(h[src..] . W + b) for the output layer at `base`, rounded to 8 bits like the other
// backends (x * 255 + 0.5, floored): the picture's colour, alpha 1.
vec4 output_layer(int base, int w4, int src) {
    vec4 logits = fetch(base + 4 * w4);
    for (int i = 0; i < w4; i += 8) {
        logits += step32(src + i, base + 4 * i);
    }
    vec3 rgb = 1.0 / (1.0 + exp(-logits.xyz));
    return vec4(floor(rgb * 255.0 + 0.5) / 255.0, 1.0);
}
