"""One frame: parameters + features -> modulate -> evaluate the CPPN -> GL passes (live and offline)."""

from __future__ import annotations

from dataclasses import dataclass

from vjengine.audio.features import AudioFeatures
from vjengine.modulate import FrameInputs, SceneState, modulate
from vjengine.render.evaluate import Backend, FoldedWeights
from vjengine.render.gl import Pipeline


@dataclass
class StylePair:
    """The prepared weights of style A and (optionally) style B, and whether to weight-morph them."""

    a: FoldedWeights
    b: FoldedWeights | None = None
    morph: bool = False


class FrameRenderer:
    """Renders frames into a GL Pipeline; keeps the scene state (time, spin) between frames."""

    def __init__(self, backend: Backend, pipeline: Pipeline, internal_size: tuple[int, int]):
        self.backend = backend
        self.pipeline = pipeline
        self.internal_size = internal_size
        self.scene = SceneState()

    def render(self, t: float, dt: float, features: AudioFeatures, params: dict[str, float],
               styles: StylePair) -> FrameInputs:
        """Draw the frame at audio time t (dt after the previous one); returns its inputs."""
        self.scene = self.scene.advanced(dt, params)
        frame = modulate(features, params, t, self.scene)
        width, height = self.internal_size
        mix = frame.crossfade if styles.b is not None else 0.0
        if 0.0 < mix < 1.0 and styles.morph and styles.a.config == styles.b.config:
            (picture,) = self.backend.evaluate([styles.a.morph(styles.b, mix)], width, height, frame)
            self.pipeline.upload("a", picture)
            mix = 0.0
        elif mix <= 0.0:
            (picture,) = self.backend.evaluate([styles.a], width, height, frame)
            self.pipeline.upload("a", picture)
        elif mix >= 1.0:
            (picture,) = self.backend.evaluate([styles.b], width, height, frame)
            self.pipeline.upload("b", picture)
        else:
            picture_a, picture_b = self.backend.evaluate([styles.a, styles.b], width, height, frame)
            self.pipeline.upload("a", picture_a)
            self.pipeline.upload("b", picture_b)
        self.pipeline.draw(mix, frame.post)
        return frame
