#version 330
// Edge-adaptive upscale, the first half of the edge upscale (present.frag sharpens after it).
//
// After AMD FidelityFX Super Resolution 1.0's EASU (T. Lottes, AMD, 2021: "FidelityFX Super
// Resolution", GPUOpen; ffx_fsr1.h), written from the published algorithm: around each output
// pixel's position in the source, 12 taps (the 2x2 quad f g j k and its ring b c e h i l n o).
// The luma gradient at each of the quad's pixels, bilinearly weighted, gives an edge direction and
// an edge strength; the taps are then weighted by a Lanczos-2-like kernel (a polynomial, no trig)
// rotated to that direction, stretched along the edge and narrowed across it as the edge gets
// stronger, with a negative lobe that shrinks on edges. The result is clamped to the quad's min
// and max, which removes the ringing of the negative lobe.
uniform sampler2D source;  // the picture at the CPPN's resolution
uniform vec2 scale;        // source size / target size
out vec4 color;

ivec2 size;

vec3 tap(ivec2 p) {
    return texelFetch(source, clamp(p, ivec2(0), size - 1), 0).rgb;
}

float luma(vec3 c) {
    return c.b * 0.5 + (c.r * 0.5 + c.g);
}

// Direction and edge strength seen from one quad pixel c, with neighbours a (-y), b (-x),
// d (+x), e (+y), weighted by its bilinear weight w.
void direction(inout vec2 dir, inout float len, float w, float a, float b, float c, float d, float e) {
    float dirx = d - b;
    float lenx = max(abs(d - c), abs(c - b));
    lenx = clamp(abs(dirx) / max(lenx, 1e-6), 0.0, 1.0);
    float diry = e - a;
    float leny = max(abs(e - c), abs(c - a));
    leny = clamp(abs(diry) / max(leny, 1e-6), 0.0, 1.0);
    dir += vec2(dirx, diry) * w;
    len += (lenx * lenx + leny * leny) * w;
}

// One tap at offset `off` from the output position, through the rotated, scaled kernel.
void accumulate(inout vec3 sum, inout float total, vec2 off, vec2 dir, vec2 len2, float lob, float clp,
                vec3 c) {
    vec2 v = vec2(dot(off, dir), dot(off, vec2(-dir.y, dir.x))) * len2;
    float d2 = min(dot(v, v), clp);
    // (25/16 * (2/5 * x^2 - 1)^2 - (25/16 - 1)) * (lob * x^2 - 1)^2: Lanczos 2 without sin.
    float wb = 0.4 * d2 - 1.0;
    float wa = lob * d2 - 1.0;
    float w = (1.5625 * wb * wb - 0.5625) * (wa * wa);
    sum += c * w;
    total += w;
}

void main() {
    size = textureSize(source, 0);
    vec2 pp = gl_FragCoord.xy * scale - 0.5;
    vec2 fp = floor(pp);
    pp -= fp;
    ivec2 o = ivec2(fp);
    vec3 b = tap(o + ivec2(0, -1)), c = tap(o + ivec2(1, -1));
    vec3 e = tap(o + ivec2(-1, 0)), f = tap(o), g = tap(o + ivec2(1, 0)), h = tap(o + ivec2(2, 0));
    vec3 i = tap(o + ivec2(-1, 1)), j = tap(o + ivec2(0, 1)), k = tap(o + ivec2(1, 1)), l = tap(o + ivec2(2, 1));
    vec3 n = tap(o + ivec2(0, 2)), m = tap(o + ivec2(1, 2));
    float lb = luma(b), lc = luma(c), le = luma(e), lf = luma(f), lg = luma(g), lh = luma(h);
    float li = luma(i), lj = luma(j), lk = luma(k), ll = luma(l), ln = luma(n), lm = luma(m);

    vec2 dir = vec2(0.0);
    float len = 0.0;
    direction(dir, len, (1.0 - pp.x) * (1.0 - pp.y), lb, le, lf, lg, lj);
    direction(dir, len, pp.x * (1.0 - pp.y), lc, lf, lg, lh, lk);
    direction(dir, len, (1.0 - pp.x) * pp.y, lf, li, lj, lk, ln);
    direction(dir, len, pp.x * pp.y, lg, lj, lk, ll, lm);

    float dir2 = dot(dir, dir);
    dir = dir2 < 1.0 / 32768.0 ? vec2(1.0, 0.0) : dir * inversesqrt(dir2);
    len = 0.5 * len;
    len *= len;
    // Stretch along the edge: 1 for an axis-aligned edge, sqrt(2) for a diagonal one.
    float stretch = dot(dir, dir) / max(abs(dir.x), abs(dir.y));
    vec2 len2 = vec2(1.0 + (stretch - 1.0) * len, 1.0 - 0.5 * len);
    float lob = 0.5 + ((1.0 / 4.0 - 0.04) - 0.5) * len;
    float clp = 1.0 / lob;

    vec3 sum = vec3(0.0);
    float total = 0.0;
    accumulate(sum, total, vec2(0.0, -1.0) - pp, dir, len2, lob, clp, b);
    accumulate(sum, total, vec2(1.0, -1.0) - pp, dir, len2, lob, clp, c);
    accumulate(sum, total, vec2(-1.0, 1.0) - pp, dir, len2, lob, clp, i);
    accumulate(sum, total, vec2(0.0, 1.0) - pp, dir, len2, lob, clp, j);
    accumulate(sum, total, vec2(0.0, 0.0) - pp, dir, len2, lob, clp, f);
    accumulate(sum, total, vec2(-1.0, 0.0) - pp, dir, len2, lob, clp, e);
    accumulate(sum, total, vec2(1.0, 1.0) - pp, dir, len2, lob, clp, k);
    accumulate(sum, total, vec2(2.0, 1.0) - pp, dir, len2, lob, clp, l);
    accumulate(sum, total, vec2(2.0, 0.0) - pp, dir, len2, lob, clp, h);
    accumulate(sum, total, vec2(1.0, 0.0) - pp, dir, len2, lob, clp, g);
    accumulate(sum, total, vec2(1.0, 2.0) - pp, dir, len2, lob, clp, m);
    accumulate(sum, total, vec2(0.0, 2.0) - pp, dir, len2, lob, clp, n);
    vec3 lo = min(min(f, g), min(j, k));
    vec3 hi = max(max(f, g), max(j, k));
    color = vec4(clamp(sum / total, lo, hi), 1.0);
}
