"""The moderngl pipeline: upload CPPN pictures, upscale + crossfade, post passes, present, read back."""

from __future__ import annotations

import logging
from pathlib import Path

import moderngl
import numpy as np

from vjengine.modulate import PostParams
from vjengine.paths import SHADERS

log = logging.getLogger(__name__)

POST_PASSES = ("kaleido", "trails", "color", "flash")


def create_offscreen_context() -> moderngl.Context:
    """A headless GL 3.3+ context over EGL (works without X); one clear error if none exists."""
    try:
        return moderngl.create_context(standalone=True, backend="egl", require=330)
    except Exception as exc:  # moderngl raises plain Exception for a missing EGL/driver
        raise RuntimeError(f"no offscreen OpenGL 3.3 context via EGL ({exc}); install Mesa's EGL "
                           "(libegl1, libgl1-mesa-dri)") from None


def pass_is_active(name: str, post: PostParams) -> bool:
    """Whether a post pass changes the picture for these values (neutral passes are skipped)."""
    if name == "kaleido":
        return post.kaleido >= 2
    if name == "trails":
        return post.trails > 0.0
    if name == "color":
        return (post.hue % 1.0, post.saturation, post.brightness, post.contrast) != (0.0, 1.0, 0.0, 1.0)
    return post.flash > 0.0


class Pipeline:
    """GL side of a frame: everything after the CPPN, at the output resolution (render thread)."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], shader_dir: Path = SHADERS):
        self.ctx = ctx
        self.shader_dir = Path(shader_dir)
        self.size = (0, 0)
        self._programs: dict[str, moderngl.Program] = {}
        self._vaos: dict[str, moderngl.VertexArray] = {}
        self._styles: dict[str, moderngl.Texture] = {}  # what slots "a" and "b" show
        self._uploads: dict[str, moderngl.Texture] = {}  # the textures upload() owns
        self.reload_shaders(strict=True)
        self.resize(size)

    # -- shaders ---------------------------------------------------------------------------
    def _sources(self) -> dict[str, str]:
        names = {"crossfade": "crossfade.frag", "present": "present.frag"}
        names.update({name: f"post/{name}.frag" for name in POST_PASSES})
        return {name: (self.shader_dir / path).read_text() for name, path in names.items()}

    def reload_shaders(self, strict: bool = False) -> bool:
        """(Re)compile every shader from disk; on an error keep the running programs unless strict."""
        try:
            vertex = (self.shader_dir / "fullscreen.vert").read_text()
            programs = {name: self.ctx.program(vertex_shader=vertex, fragment_shader=fragment)
                        for name, fragment in self._sources().items()}
        except (OSError, moderngl.Error) as exc:
            if strict:
                raise
            log.error("shader reload failed, keeping the running shaders: %s", str(exc).strip())
            return False
        for vao in self._vaos.values():
            vao.release()
        for program in self._programs.values():
            program.release()
        self._programs = programs
        self._vaos = {name: self.ctx.vertex_array(program, []) for name, program in programs.items()}
        return True

    # -- targets ---------------------------------------------------------------------------
    def _target(self) -> tuple[moderngl.Texture, moderngl.Framebuffer]:
        texture = self.ctx.texture(self.size, 4)
        texture.repeat_x = texture.repeat_y = False
        fbo = self.ctx.framebuffer(color_attachments=[texture])
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        return texture, fbo

    def resize(self, size: tuple[int, int]) -> None:
        """Allocate output-resolution targets (ping-pong, feedback history, read-back)."""
        size = (int(size[0]), int(size[1]))
        if size == self.size:
            return
        self.size = size
        for texture, fbo in getattr(self, "_targets", ()):
            fbo.release()
            texture.release()
        self._ping = [self._target(), self._target()]
        self._history, self._history_next = self._target(), self._target()
        self._history_live = False
        self._readback = self._target()
        self._targets = [*self._ping, self._history, self._history_next, self._readback]
        self.output: moderngl.Texture = self._ping[0][0]

    def upload(self, slot: str, picture: np.ndarray) -> None:
        """Upload a CPPN picture (uint8 [h, w, 3], top row first) into slot "a" or "b"."""
        height, width = picture.shape[:2]
        texture = self._uploads.get(slot)
        if texture is None or texture.size != (width, height):
            if texture is not None:
                texture.release()
            texture = self.ctx.texture((width, height), 3, alignment=1)
            texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
            texture.repeat_x = texture.repeat_y = False
            self._uploads[slot] = texture
        texture.write(np.ascontiguousarray(picture))
        self._styles[slot] = texture

    def attach(self, slot: str, texture: moderngl.Texture) -> None:
        """Show a CPPN picture already in this context (top row first, linear filtering) in slot
        "a" or "b", without a copy; the caller keeps owning the texture."""
        self._styles[slot] = texture

    # -- drawing ---------------------------------------------------------------------------
    def _draw(self, name: str, target: moderngl.Framebuffer, textures: dict[str, moderngl.Texture],
              **uniforms) -> None:
        program = self._programs[name]
        for unit, (uniform, texture) in enumerate(textures.items()):
            texture.use(location=unit)
            if uniform in program:
                program[uniform].value = unit
        for key, value in uniforms.items():
            if key in program:
                program[key].value = value
        target.use()
        self._vaos[name].render(moderngl.TRIANGLES, vertices=3)

    def _post_uniforms(self, name: str, post: PostParams) -> dict:
        if name == "kaleido":
            return dict(segments=float(post.kaleido), angle=post.kaleido_angle,
                        aspect=self.size[0] / self.size[1])
        if name == "color":
            return dict(hue=post.hue, saturation=post.saturation, brightness=post.brightness,
                        contrast=post.contrast)
        return dict(amount=post.flash)

    def draw(self, xfade: float, post: PostParams) -> moderngl.Texture:
        """Crossfade the uploaded styles (0 = A, 1 = B) and apply the post passes; returns the
        finished output texture."""
        a = self._styles.get("a")
        b = self._styles.get("b", a)
        if a is None:
            raise RuntimeError("Pipeline.draw called before any style picture was uploaded")
        ping = self._ping

        def free_target(current):
            return ping[1] if current is ping[0] else ping[0]

        current = ping[0]
        self._draw("crossfade", current[1], {"style_a": a, "style_b": b},
                   xfade=min(max(xfade, 0.0), 1.0))
        for name in POST_PASSES:
            if not pass_is_active(name, post):
                if name == "trails" and self._history_live:
                    self._history[1].clear(0.0, 0.0, 0.0, 1.0)
                    self._history_live = False
                continue
            if name == "trails":
                # The feedback result becomes both this frame's picture and the next frame's history.
                self._draw("trails", self._history_next[1],
                           {"source": current[0], "history": self._history[0]}, amount=post.trails)
                self._history, self._history_next = self._history_next, self._history
                self._history_live = True
                current = self._history
                continue
            target = free_target(current)
            self._draw(name, target[1], {"source": current[0]}, **self._post_uniforms(name, post))
            current = target
        self.output = current[0]
        return self.output

    def read_rgb(self) -> np.ndarray:
        """The finished output as uint8 [height, width, 3], top row first."""
        texture, fbo = self._readback
        self._draw("present", fbo, {"source": self.output}, flip_y=True)
        data = fbo.read(components=3, alignment=1)
        return np.frombuffer(data, dtype=np.uint8).reshape(self.size[1], self.size[0], 3)
