#version 330
// Copy the finished picture to the screen or to a read-back target, flipping rows if asked.
uniform sampler2D source;
uniform bool flip_y;
in vec2 uv;
out vec4 color;

void main() {
    color = vec4(texture(source, flip_y ? vec2(uv.x, 1.0 - uv.y) : uv).rgb, 1.0);
}
