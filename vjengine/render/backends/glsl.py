"""The GLSL backend: the CPPN as one fragment shader pass on any OpenGL 3.3 GPU (no CUDA needed).

The styles' folded weights sit in one RGBA32F texture read with texelFetch; per frame the host
sends only uniforms: the coordinate transform and layer 1's per-frame bias (a uniform block).
Layer 1 is split like on the other backends: coordinate weights per pixel, conditioning per frame.
Loop bounds (width, depth) are uniforms, so drivers compile the shader in milliseconds instead of
unrolling it. Nothing needs more than GL 3.3 core (macOS's GL 4.1 included): no SSBOs, no compute.

Both styles of a crossfade are evaluated in one draw into two color attachments: each pixel
computes its coordinates once and runs both networks, one draw call and one weights texture
serve the frame, and unlike a two-layer texture array (gl_Layer needs a geometry shader on 3.3)
nothing but a fragment shader is needed. The crossfade itself stays in the pipeline.

Given the pipeline's context (render.gl.Pipeline), the pictures stay on the GPU: draw() returns
the color attachments, which the pipeline upscales directly. evaluate() reads them back as uint8.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import moderngl
import numpy as np

from vjengine.modulate import FrameInputs
from vjengine.paths import SHADERS
from vjengine.render.backends.base import Backend, FoldedWeights
from vjengine.render.backends.glsl_weights import frame_biases, pack, width4
from vjengine.render.gl import create_offscreen_context

log = logging.getLogger(__name__)

MAX_STYLES = 2  # color attachments, and style slots in the shader
ROW_SHIFT = 10  # weights texture rows of 1024 texels, the smallest GL_MAX_TEXTURE_SIZE GL 3.3 allows
SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast", "software")
WEIGHTS_UNIT, BIAS_BINDING = 0, 0


def is_software(renderer: str) -> bool:
    """Whether an OpenGL renderer string names a CPU rasteriser (Mesa's llvmpipe, Apple's, ...)."""
    return any(name in renderer.lower() for name in SOFTWARE_RENDERERS)


def expand_includes(source: str, shader_dir: Path = SHADERS) -> str:
    """GLSL with each `#include "path"` line replaced by that file under shader_dir."""
    lines = []
    for line in source.splitlines():
        if line.startswith("#include "):
            line = (Path(shader_dir) / line.split('"')[1]).read_text().rstrip("\n")
        lines.append(line)
    return "\n".join(lines) + "\n"


def shader_source(slots: int, shader_dir: Path = SHADERS) -> str:
    """shaders/cppn.frag, includes expanded, with WIDTH4 defined as `slots` after its version line."""
    version, _, body = (Path(shader_dir) / "cppn.frag").read_text().partition("\n")
    return expand_includes(f"{version}\n#define WIDTH4 {slots}\n{body}", shader_dir)


class GLSLBackend(Backend):
    """CPPN pictures drawn by a fragment shader in `ctx`, or in a headless context of its own."""

    name = "glsl"

    def __init__(self, ctx: moderngl.Context | None = None, shader_dir: Path = SHADERS):
        self._owns_ctx = ctx is None
        self.ctx = ctx or create_offscreen_context()
        self.renderer = self.ctx.info["GL_RENDERER"]
        self.shader_dir = Path(shader_dir)
        self._programs: dict[int, tuple[moderngl.Program, moderngl.VertexArray]] = {}
        self._weights: moderngl.Texture | None = None
        self._loaded: tuple[FoldedWeights, ...] = ()
        self._shapes: list[tuple[int, int, int]] = []
        self._bias: moderngl.Buffer | None = None
        self._targets: list[moderngl.Texture] = []
        self._fbo: moderngl.Framebuffer | None = None
        self._closed = False
        log.debug("GLSL backend on %s", self.renderer)

    def _program(self, slots: int) -> tuple[moderngl.Program, moderngl.VertexArray]:
        """The shader for styles up to 4 * slots neurons wide, compiled on first use."""
        if slots not in self._programs:
            vertex = (self.shader_dir / "fullscreen.vert").read_text()
            program = self.ctx.program(vertex_shader=vertex,
                                       fragment_shader=shader_source(slots, self.shader_dir))
            program["weights"].value = WEIGHTS_UNIT
            program["row_shift"].value = ROW_SHIFT
            program["FrameBias"].binding = BIAS_BINDING
            self._programs[slots] = program, self.ctx.vertex_array(program, [])
        return self._programs[slots]

    def _load(self, styles: tuple[FoldedWeights, ...]) -> None:
        """Upload these styles' packed weights into the weights texture (skipped when they are there)."""
        if len(styles) == len(self._loaded) and all(a is b for a, b in zip(styles, self._loaded)):
            return
        packed = [pack(weights) for weights in styles]
        self._shapes, first = [], 0
        for weights, texels in zip(styles, packed):
            self._shapes.append((first, width4(weights.config), weights.config.depth))
            first += texels.shape[0]
        row = 1 << ROW_SHIFT
        rows = math.ceil(first / row)
        limit = self.ctx.info["GL_MAX_TEXTURE_SIZE"]
        if rows > limit:
            raise ValueError(f"styles of {first} weight texels need {rows} texture rows; "
                             f"this GL allows {limit}")
        data = np.zeros((rows * row, 4), np.float32)
        data[:first] = np.concatenate(packed)
        if self._weights is None or self._weights.size[1] < rows:
            if self._weights is not None:
                self._weights.release()
            self._weights = self.ctx.texture((row, rows), 4, dtype="f4")
            self._weights.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._weights.write(data[:rows * row], viewport=(0, 0, row, rows))
        self._loaded = styles

    def _target(self, width: int, height: int) -> moderngl.Framebuffer:
        if self._fbo is None or self._fbo.size != (width, height):
            self._release_target()
            for _ in range(MAX_STYLES):
                texture = self.ctx.texture((width, height), 4)
                texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
                texture.repeat_x = texture.repeat_y = False
                self._targets.append(texture)
            self._fbo = self.ctx.framebuffer(color_attachments=self._targets)
        return self._fbo

    def draw(self, styles: Sequence[FoldedWeights], width: int, height: int,
             frame: FrameInputs) -> list[moderngl.Texture]:
        """Draw the styles' pictures into RGBA8 textures of this context, top row first (row 0 of
        the texture is the top of the picture, as Pipeline.upload lays them out); render thread."""
        if not 1 <= len(styles) <= MAX_STYLES:
            raise ValueError(f"the GLSL backend draws 1..{MAX_STYLES} styles at once, got {len(styles)}")
        styles = tuple(styles)
        self._load(styles)
        slots = max(width4(weights.config) for weights in styles)
        program, vao = self._program(slots)
        bias = frame_biases(styles, frame.conditioning, slots)
        if self._bias is None or self._bias.size < MAX_STYLES * slots * 16:
            if self._bias is not None:
                self._bias.release()
            self._bias = self.ctx.buffer(reserve=MAX_STYLES * slots * 16)
        self._bias.write(bias)
        transform = frame.transform
        program["styles"].value = len(styles)
        program["shape"].value = self._shapes + [self._shapes[0]] * (MAX_STYLES - len(styles))
        program["size"].value = (float(width), float(height))
        program["view"].value = (math.cos(transform.rotation), math.sin(transform.rotation), transform.zoom)
        program["pan"].value = (transform.pan_x, transform.pan_y)
        program["symmetry"].value = transform.symmetry
        fbo = self._target(width, height)
        fbo.use()
        self._weights.use(location=WEIGHTS_UNIT)
        self._bias.bind_to_uniform_block(BIAS_BINDING)
        vao.render(moderngl.TRIANGLES, vertices=3)
        return self._targets[:len(styles)]

    def evaluate(self, styles, width, height, frame):
        textures = self.draw(styles, width, height, frame)
        return [np.frombuffer(self._fbo.read(components=3, attachment=i, alignment=1), np.uint8)
                .reshape(height, width, 3) for i in range(len(textures))]

    def _release_target(self) -> None:
        if self._fbo is not None:
            self._fbo.release()
        for texture in self._targets:
            texture.release()
        self._fbo, self._targets = None, []

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._release_target()
        for program, vao in self._programs.values():
            vao.release()
            program.release()
        for resource in (self._weights, self._bias):
            if resource is not None:
                resource.release()
        if self._owns_ctx:
            self.ctx.release()
