"""One frame: controls + features -> modulate -> evaluate the CPPN -> GL passes (live and offline)."""

from __future__ import annotations

from vjengine.audio.features import AudioFeatures
from vjengine.modulate import FrameInputs, SceneState, modulate
from vjengine.render.blend import plan_blend
from vjengine.render.evaluate import Backend, FoldedWeights, GLSLBackend
from vjengine.render.gl import Pipeline


class FrameRenderer:
    """Renders frames into a GL Pipeline; keeps the scene state (time, spin) between frames."""

    def __init__(self, backend: Backend, pipeline: Pipeline, internal_size: tuple[int, int]):
        self.backend = backend
        self.pipeline = pipeline
        self.internal_size = internal_size
        self.scene = SceneState()

    def render(self, t: float, dt: float, features: AudioFeatures, params: dict[str, float],
               style_a: FoldedWeights | None, style_b: FoldedWeights | None,
               blend_mode: str) -> FrameInputs | None:
        """Draw the frame at audio time t (dt after the previous one); params["xfade"] blends A -> B
        as the scene's blend mode and the two styles' configs allow (render.blend).

        Returns the frame's inputs, or None while no style is loaded yet.
        """
        self.scene = self.scene.advanced(dt, params)
        frame = modulate(features, params, t, self.scene)
        plan = plan_blend(style_a, style_b, frame.xfade, blend_mode)
        if not plan.weights:
            return None
        if isinstance(self.backend, GLSLBackend) and self.backend.ctx is self.pipeline.ctx:
            for slot, texture in zip("ab", self.backend.draw(plan.weights, *self.internal_size, frame)):
                self.pipeline.attach(slot, texture)  # the pictures stay on the GPU
        else:
            for slot, picture in zip("ab", self.backend.evaluate(plan.weights, *self.internal_size, frame)):
                self.pipeline.upload(slot, picture)
        self.pipeline.draw(plan.xfade, frame.post)
        return frame
