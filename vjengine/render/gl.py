"""The moderngl pipeline: upload CPPN pictures, one post pass at their resolution, upscale, read back."""

from __future__ import annotations

import logging
from pathlib import Path

import moderngl
import numpy as np

from vjengine.config import UPSCALERS
from vjengine.errors import InputError
from vjengine.modulate import PostParams
from vjengine.paths import SHADERS
from vjengine.render.timing import StageTimer

log = logging.getLogger(__name__)

PRESENT_MODES = {"bilinear": 0, "cubic": 1, "sharpen": 2}  # present.frag's `mode`
SHARPNESS_STOPS = 1.0  # the edge upscale's sharpening in RCAS's stops (0 = strongest; more costs PSNR on smooth styles)


def create_offscreen_context() -> moderngl.Context:
    """A headless GL 3.3+ context over EGL (works without X); one clear error if none exists."""
    try:
        return moderngl.create_context(standalone=True, backend="egl", require=330)
    except Exception as exc:  # moderngl raises plain Exception for a missing EGL/driver
        raise RuntimeError(f"no offscreen OpenGL 3.3 context via EGL ({exc}); install Mesa's EGL "
                           "(libegl1, libgl1-mesa-dri)") from None


def post_uniforms(post: PostParams, aspect: float) -> dict:
    """post.frag's uniforms for these values (a neutral effect gets its "off" value)."""
    grade = (post.hue % 1.0, post.saturation, post.brightness, post.contrast) != (0.0, 1.0, 0.0, 1.0)
    return dict(segments=float(post.kaleido) if post.kaleido >= 2 else 0.0, angle=post.kaleido_angle,
                aspect=aspect, trails=max(post.trails, 0.0), grade=grade, hue=post.hue,
                saturation=post.saturation, brightness=post.brightness, contrast=post.contrast,
                flash=max(post.flash, 0.0))


def present_uniforms(mode: str, source_size: tuple[int, int], target_size: tuple[int, int]) -> dict:
    """present.frag's mode and sharpness for drawing a picture in `mode` (PRESENT_MODES) at
    target_size; a sharpened edge upscale shown at another size (a preview window) is bilinear."""
    if mode == "sharpen" and tuple(target_size) != tuple(source_size):
        mode = "bilinear"
    return dict(mode=PRESENT_MODES[mode], sharpness=2.0 ** -SHARPNESS_STOPS)


class Pipeline:
    """GL side of a frame, everything after the CPPN (render thread).

    The post effects run in one pass (shaders/post.frag) at the CPPN's resolution, into `picture`;
    a present pass (present.frag in `present_mode`) then draws `output` at the output size:
    `size` for read_rgb, the window's for the screen. With "bilinear" and "cubic" `output` is the
    picture and the present pass upscales it; with "edge" draw() upscales it to `size` in
    easu.frag and the present pass sharpens.
    """

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], shader_dir: Path = SHADERS,
                 upscale: str = "edge"):
        if upscale == "auto":  # the edge upscale costs a software rasteriser more than the CPPN
            from vjengine.render.backends.glsl import is_software  # (glsl imports this module)

            upscale = "bilinear" if is_software(ctx.info["GL_RENDERER"]) else "edge"
        if upscale not in UPSCALERS:
            raise InputError(f"--upscale {upscale}: expected auto or one of {', '.join(UPSCALERS)}")
        self.ctx = ctx
        self.shader_dir = Path(shader_dir)
        self.upscaler = upscale
        self.present_mode = "sharpen" if upscale == "edge" else upscale
        self.size = (0, 0)
        self.post_size = (0, 0)
        self._programs: dict[str, moderngl.Program] = {}
        self._vaos: dict[str, moderngl.VertexArray] = {}
        self._styles: dict[str, moderngl.Texture] = {}  # what slots "a" and "b" show
        self._uploads: dict[str, moderngl.Texture] = {}  # the textures upload() owns
        self._post: list[moderngl.Framebuffer] = []
        self._post_textures: list[moderngl.Texture] = []
        self._scaled: tuple[moderngl.Texture, moderngl.Framebuffer] | None = None  # read_rgb's other size
        self.reload_shaders(strict=True)
        self.resize(size)

    # -- shaders ---------------------------------------------------------------------------
    def _sources(self) -> dict[str, str]:
        names = {"post": "post.frag", "easu": "easu.frag", "present": "present.frag"}
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
    def _texture(self, size: tuple[int, int]) -> moderngl.Texture:
        texture = self.ctx.texture(size, 4)
        texture.repeat_x = texture.repeat_y = False
        return texture

    def _framebuffer(self, *textures: moderngl.Texture) -> moderngl.Framebuffer:
        fbo = self.ctx.framebuffer(color_attachments=list(textures))
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        return fbo

    def resize(self, size: tuple[int, int]) -> None:
        """Allocate the output-size targets (the edge upscale's, read-back)."""
        size = (int(size[0]), int(size[1]))
        if size == self.size:
            return
        self.size = size
        for texture, fbo in getattr(self, "_outputs", ()):
            fbo.release()
            texture.release()
        self._outputs = [(texture, self._framebuffer(texture))
                         for texture in (self._texture(size), self._texture(size))]
        self._upscaled, self._readback = self._outputs
        self.output: moderngl.Texture = self._upscaled[0]  # black until the first draw

    def _resize_post(self, size: tuple[int, int]) -> None:
        """Allocate the post pass's targets at the CPPN's resolution: the picture and two
        feedback histories, which take turns being read and written (frame parity `_turn`)."""
        if size == self.post_size:
            return
        for item in (*self._post, *self._post_textures):
            item.release()
        self.post_size = size
        self.picture, *self._history = self._post_textures = [self._texture(size) for _ in range(3)]
        self._post = [self._framebuffer(self.picture, self._history[1]),
                      self._framebuffer(self.picture, self._history[0])]
        self._turn = 0  # read history[turn], write history[1 - turn]

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

    def draw(self, xfade: float, post: PostParams, timer: StageTimer | None = None) -> moderngl.Texture:
        """Crossfade the uploaded styles (0 = A, 1 = B) and apply the post effects at the CPPN's
        resolution (`timer`'s "post" stage), then the edge upscale's first pass if chosen
        ("present"); returns (and sets) `output`."""
        a = self._styles.get("a")
        b = self._styles.get("b", a)
        if a is None:
            raise RuntimeError("Pipeline.draw called before any style picture was uploaded")
        timer = timer if timer is not None else StageTimer()
        with timer.stage("post", gl=True):
            self._resize_post(a.size)
            history = self._history[self._turn]
            self._draw("post", self._post[self._turn], {"style_a": a, "style_b": b, "history": history},
                       xfade=min(max(xfade, 0.0), 1.0), **post_uniforms(post, self.size[0] / self.size[1]))
            self._turn = 1 - self._turn
        self.output = self.picture
        if self.upscaler == "edge":
            with timer.stage("present", gl=True):
                texture, fbo = self._upscaled
                self._draw("easu", fbo, {"source": self.picture},
                           scale=(self.post_size[0] / self.size[0], self.post_size[1] / self.size[1]))
                self.output = texture
        return self.output

    def read_rgb(self, size: tuple[int, int] | None = None) -> np.ndarray:
        """The finished output as uint8 [height, width, 3], top row first: at `size`, or scaled
        on the GPU to another size (a recording's), so only those pixels are read back."""
        size = self.size if size is None else (int(size[0]), int(size[1]))
        if size == self.size:
            texture, fbo = self._readback
        else:
            if self._scaled is None or self._scaled[0].size != size:
                for item in self._scaled or ():
                    item.release()
                texture = self._texture(size)
                self._scaled = (texture, self._framebuffer(texture))
            texture, fbo = self._scaled
        self._draw("present", fbo, {"source": self.output}, flip_y=True,
                   **present_uniforms(self.present_mode, self.output.size, size))
        data = fbo.read(components=3, alignment=1)
        return np.frombuffer(data, dtype=np.uint8).reshape(size[1], size[0], 3)
