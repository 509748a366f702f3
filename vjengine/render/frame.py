"""One frame's picture: the CPPN for the blend of two styles, then the GL passes (live and offline)."""

from __future__ import annotations

import numpy as np

from vjengine.errors import InputError
from vjengine.modulate import FrameInputs
from vjengine.render.blend import plan_blend
from vjengine.render.evaluate import Backend, FoldedWeights, GLSLBackend
from vjengine.render.gl import Pipeline
from vjengine.render.timing import StageTimer


def tile(pictures: list[np.ndarray], columns: int, size: tuple[int, int]) -> np.ndarray:
    """Equal-sized pictures in rows of `columns`, left to right, top to bottom, on a black
    [height, width, 3] picture of `size` (width, height)."""
    grid = np.zeros((size[1], size[0], 3), np.uint8)
    for index, picture in enumerate(pictures):
        h, w = picture.shape[:2]
        row, column = divmod(index, columns)
        grid[row * h:(row + 1) * h, column * w:(column + 1) * w] = picture
    return grid


def internal_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The CPPN's resolution for an output size and render scale (at least 16 pixels a side)."""
    if not 0.0 < scale <= 1.0:
        raise InputError(f"--render-scale {scale}: expected a number in (0, 1]")
    return max(16, round(size[0] * scale)), max(16, round(size[1] * scale))


class FrameRenderer:
    """Draws frames into a GL Pipeline, the CPPN at `internal_size` (render thread); `timer`
    times its stages (cppn, upload, post)."""

    def __init__(self, backend: Backend, pipeline: Pipeline, internal_size: tuple[int, int],
                 timer: StageTimer | None = None):
        self.backend = backend
        self.pipeline = pipeline
        self.internal_size = internal_size
        self.timer = timer if timer is not None else StageTimer()

    def draw(self, inputs: FrameInputs, style_a: FoldedWeights | None, style_b: FoldedWeights | None,
             blend_mode: str) -> bool:
        """Draw one frame; inputs.xfade blends A -> B as the scene's blend mode and the two styles'
        configs allow (render.blend). False, drawing nothing, while no style is loaded yet."""
        plan = plan_blend(style_a, style_b, inputs.xfade, blend_mode)
        if not plan.weights:
            return False
        timer = self.timer
        if isinstance(self.backend, GLSLBackend) and self.backend.ctx is self.pipeline.ctx:
            with timer.stage("cppn", gl=True):
                textures = self.backend.draw(plan.weights, *self.internal_size, inputs)
            for slot, texture in zip("ab", textures):
                self.pipeline.attach(slot, texture)  # the pictures stay on the GPU
        else:
            with timer.stage("cppn"):
                pictures = self.backend.evaluate(plan.weights, *self.internal_size, inputs)
            with timer.stage("upload", gl=True):
                for slot, picture in zip("ab", pictures):
                    self.pipeline.upload(slot, picture)
        self.pipeline.draw(plan.xfade, inputs.post, timer)
        return True

    def draw_grid(self, styles: list[FoldedWeights], inputs: FrameInputs, columns: int = 3) -> bool:
        """Draw the styles as a grid of tiles (breed mode), each a third of the internal size."""
        width, height = self.internal_size
        tile_size = max(1, width // columns), max(1, height // columns)
        with self.timer.stage("cppn"):
            pictures = [self.backend.evaluate([weights], *tile_size, inputs)[0] for weights in styles]
            grid = tile(pictures, columns, self.internal_size)
        with self.timer.stage("upload", gl=True):
            self.pipeline.upload("a", grid)
        self.pipeline.draw(0.0, inputs.post, self.timer)
        return True
