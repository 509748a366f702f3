// Pixel coordinates for the CPPN, shared by shaders/cppn.frag and exported styles.

const float PI = 3.14159265358979;
const float R_SCALE = PI / sqrt(2.0);  // r = pi at the corners of a square frame

// Pixel centre `pixel` (from the top-left corner) of a `size` picture -> (x, y, r), as
// vjengine.model.coords does: the short side spans [-1, 1], then rotation (view.xy = its cos
// and sin), zoom (view.z), pan and symmetry (0 none, 1 mirror x, 2 mirror both, n >= 3 an
// n-fold kaleidoscope), then scaled to [-pi, pi].
vec3 coordinates(vec2 pixel, vec2 size, vec3 view, vec2 pan, int symmetry) {
    float half_short = 0.5 * min(size.x, size.y);
    float u = (pixel.x - 0.5 * size.x) / half_short;
    float v = (0.5 * size.y - pixel.y) / half_short;
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

