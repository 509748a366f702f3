"""Blending two styles for one frame: one network, a weight morph, or both pictures crossfaded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

NEVER_MORPH = "crossfade"  # the scene's blend mode that always crossfades pictures


class Morphable(Protocol):
    """Prepared weights that can be interpolated (render.evaluate.FoldedWeights)."""

    config: object

    def morph(self, other: Morphable, amount: float) -> Morphable: ...


def morphs(mode: str, a: Morphable, b: Morphable) -> bool:
    """Whether to morph weights rather than crossfade pictures: only between equal configs, and
    never in the scene mode "crossfade" ("auto" and "morph" both morph whenever they can)."""
    return mode != NEVER_MORPH and a.config == b.config


@dataclass(frozen=True)
class BlendPlan:
    """What to evaluate for one frame: these weights in one batched call, then crossfade the pictures."""

    weights: tuple
    xfade: float  # from picture 0 to picture 1 (0 when there is one picture)


def plan_blend(a: Morphable | None, b: Morphable | None, xfade: float, mode: str) -> BlendPlan:
    """The cheapest evaluation of the crossfade `xfade` between prepared styles a and b.

    One style when the other has no weight; a single morphed network when the weights and the
    scene's mode allow it; otherwise both styles, evaluated together and crossfaded.
    """
    if b is None or xfade <= 0.0:
        return BlendPlan((a,) if a is not None else (), 0.0)
    if a is None or xfade >= 1.0:
        return BlendPlan((b,), 0.0)
    if morphs(mode, a, b):
        return BlendPlan((a.morph(b, xfade),), 0.0)
    return BlendPlan((a, b), xfade)


def mix_pictures(pictures: Sequence[np.ndarray], xfade: float) -> np.ndarray:
    """Crossfade of uint8 pictures on the CPU (the GL path does the same in a shader)."""
    if len(pictures) == 1 or xfade <= 0.0:
        return pictures[0]
    if xfade >= 1.0:
        return pictures[1]
    a = pictures[0].astype(np.float32)
    mixed = a + (pictures[1].astype(np.float32) - a) * np.float32(xfade)
    return (mixed + 0.5).astype(np.uint8)
