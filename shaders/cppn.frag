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
// its depth - 1 hidden layers, then the output layer (3 outputs, padded to 4).
uniform sampler2D weights;
uniform int row_shift;
uniform int styles;          // 1 or 2
uniform ivec3 shape[2];      // per style: first texel, ceil(width / 4), depth
layout(std140) uniform FrameBias {
    vec4 frame_bias[2 * WIDTH4];  // layer 1's per-frame part; style s from s * WIDTH4
};

uniform ivec2 size;          // the picture, in pixels
uniform vec3 view;           // cos(rotation), sin(rotation), zoom
uniform vec2 pan;
uniform int symmetry;        // 0 none, 1 mirror x, 2 mirror both, n >= 3 n-fold kaleidoscope

layout(location = 0) out vec4 color_a;
layout(location = 1) out vec4 color_b;

vec4 h[WIDTH4];  // activations of the current layer
vec4 z[WIDTH4];  // pre-activations of the next one

vec4 fetch(int k) {
    return texelFetch(weights, ivec2(k & ((1 << row_shift) - 1), k >> row_shift), 0);
}

// z = h . W + b for a dense layer stored at `base` (see above).
void dense(int base, int in4, int out4) {
    int bias = base + 4 * in4 * out4;
    for (int j = 0; j < out4; ++j) {
        vec4 acc = fetch(bias + j);
        int k = base + 4 * in4 * j;
        for (int i = 0; i < in4; ++i) {
            vec4 x = h[i];
            acc += x.x * fetch(k) + x.y * fetch(k + 1) + x.z * fetch(k + 2) + x.w * fetch(k + 3);
            k += 4;
        }
        z[j] = acc;
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
    for (int layer = 1; layer < depth; ++layer) {
        dense(base, w4, w4);
        for (int j = 0; j < w4; ++j) {
            h[j] = sin(z[j]);
        }
        base += 4 * w4 * w4 + w4;
    }
    dense(base, w4, 1);
    vec3 rgb = 1.0 / (1.0 + exp(-z[0].xyz));
    return vec4(floor(rgb * 255.0 + 0.5) / 255.0, 1.0);
}

void main() {
    vec3 p = coordinates();
    color_a = network(0, p);
    if (styles > 1) {
        color_b = network(1, p);
    }
}
