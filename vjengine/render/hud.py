"""Presenter: draws the finished picture (and the HUD panel) into one window's context."""

from __future__ import annotations

from pathlib import Path

import moderngl
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from vjengine.paths import SHADERS
from vjengine.render.gl import present_uniforms
from vjengine.render.timing import StageTimer

FONT_SIZE = 15
LINE_HEIGHT = 19
PANEL_WIDTH = 600
MARGIN = 12


def panel_image(lines: list[str]) -> np.ndarray:
    """The HUD text as an RGBA image (top row first) on a translucent dark panel."""
    font = ImageFont.load_default(size=FONT_SIZE)
    height = LINE_HEIGHT * len(lines) + 12
    image = Image.new("RGBA", (PANEL_WIDTH, height), (0, 0, 0, 170))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((10, 6 + i * LINE_HEIGHT), line, font=font, fill=(235, 235, 235, 255))
    return np.asarray(image)


class Presenter:
    """Per-window drawing: the output texture scaled to the window, plus the HUD when shown."""

    def __init__(self, ctx: moderngl.Context, shader_dir: Path = SHADERS):
        self.ctx = ctx
        vertex = (shader_dir / "fullscreen.vert").read_text()
        self._present = ctx.program(vertex_shader=vertex,
                                    fragment_shader=(shader_dir / "present.frag").read_text())
        self._hud = ctx.program(vertex_shader=vertex, fragment_shader=(shader_dir / "hud.frag").read_text())
        self._present_vao = ctx.vertex_array(self._present, [])
        self._hud_vao = ctx.vertex_array(self._hud, [])
        self._panel: moderngl.Texture | None = None
        self._external: dict[int, moderngl.Texture] = {}

    def external(self, texture: moderngl.Texture) -> moderngl.Texture:
        """The same GL texture as seen from this (sharing) context."""
        if texture.ctx is self.ctx:
            return texture
        wrapped = self._external.get(texture.glo)
        if wrapped is None or wrapped.size != texture.size:
            wrapped = self.ctx.external_texture(texture.glo, texture.size, texture.components, 0, "f1")
            self._external[texture.glo] = wrapped
        return wrapped

    def set_panel(self, lines: list[str]) -> None:
        """Replace the HUD text (render thread, a few times a second)."""
        image = panel_image(lines)
        size = (image.shape[1], image.shape[0])
        if self._panel is None or self._panel.size != size:
            if self._panel is not None:
                self._panel.release()
            self._panel = self.ctx.texture(size, 4)
        self._panel.write(np.ascontiguousarray(image))

    def show(self, texture: moderngl.Texture, size: tuple[int, int], hud: bool, lamp: float,
             timer: StageTimer | None = None, mode: str = "bilinear") -> None:
        """Draw texture over the whole window of framebuffer size `size` (present.frag in `mode`,
        a key of PRESENT_MODES), then the HUD if asked; `timer` times the "present" and "hud"
        stages."""
        timer = timer if timer is not None else StageTimer()
        with timer.stage("present", gl=True):
            screen = self.ctx.screen
            screen.use()
            screen.viewport = (0, 0, *size)
            self.external(texture).use(location=0)
            self._present["source"].value = 0
            self._present["flip_y"].value = False
            for name, value in present_uniforms(mode, texture.size, size).items():
                self._present[name].value = value
            self._present_vao.render(moderngl.TRIANGLES, vertices=3)
        if hud and self._panel is not None:
            with timer.stage("hud", gl=True):
                self._draw_hud(size, lamp)

    def _draw_hud(self, size: tuple[int, int], lamp: float) -> None:
        self.ctx.enable(moderngl.BLEND)
        self.ctx.blend_func = moderngl.SRC_ALPHA, moderngl.ONE_MINUS_SRC_ALPHA
        self._panel.use(location=0)
        self._hud["panel"].value = 0
        origin_y = size[1] - MARGIN - self._panel.size[1]
        self.ctx.screen.viewport = (MARGIN, origin_y, *self._panel.size)  # shade only the panel's pixels
        self._hud["panel_origin"].value = (MARGIN, origin_y)
        self._hud["lamp_centre"].value = (MARGIN + self._panel.size[0] - 16, size[1] - MARGIN - 14)
        self._hud["lamp"].value = lamp
        self._hud_vao.render(moderngl.TRIANGLES, vertices=3)
        self.ctx.disable(moderngl.BLEND)
