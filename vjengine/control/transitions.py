"""Blending two styles: output crossfade or weight morph, and beat-quantised transitions between them.

A transition is timed in beats of the show's beat position (control.tempo): it starts on the next
beat or bar (or at once), lasts N beats, and N = 0 is a cut on that beat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MODES = ("auto", "crossfade", "morph")  # auto: morph when both styles share a config
QUANTISE = ("none", "beat", "bar")
MAX_BEATS = 256.0


class Morphable(Protocol):
    """Prepared weights that can be interpolated (render.evaluate.FoldedWeights)."""

    config: object

    def morph(self, other: Morphable, amount: float) -> Morphable: ...


def uses_morph(mode: str, config_a: object | None, config_b: object | None) -> bool:
    """Whether to morph weights rather than crossfade outputs: only ever with equal configs."""
    if mode not in MODES:
        raise ValueError(f"blend mode {mode!r}: expected one of {', '.join(MODES)}")
    same = config_a is not None and config_a == config_b
    return same and mode in ("auto", "morph")


def next_boundary(position: float, quantise: str, beats_per_bar: int = 4) -> float:
    """The beat position where something quantised to `quantise` starts, at or after `position`.

    "beat" and "bar" give the next whole beat/bar strictly after position (a request made on a
    beat waits for the following one, so it is never cut short); "none" gives position itself.
    """
    if quantise == "none":
        return position
    if quantise == "beat":
        unit = 1
    elif quantise == "bar":
        unit = beats_per_bar
    else:
        raise ValueError(f"quantise {quantise!r}: expected one of {', '.join(QUANTISE)}")
    return (math.floor(position / unit) + 1) * unit


def ease(x: float) -> float:
    """Smoothstep: a transition leaves and arrives gently."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


@dataclass(frozen=True)
class Transition:
    """The crossfade moving from `begin` to `end` between beat positions start and start + beats."""

    start: float
    beats: float
    begin: float
    end: float

    def __post_init__(self):
        if not (math.isfinite(self.beats) and 0.0 <= self.beats <= MAX_BEATS):
            raise ValueError(f"transition length {self.beats!r}: expected 0..{MAX_BEATS:g} beats")

    def amount(self, position: float) -> float:
        """The crossfade at a beat position: begin before the start, end from start + beats on."""
        if position < self.start:
            return self.begin
        if self.beats == 0 or position >= self.start + self.beats:
            return self.end
        return self.begin + (self.end - self.begin) * ease((position - self.start) / self.beats)

    def done(self, position: float) -> bool:
        return position >= self.start + self.beats


@dataclass(frozen=True)
class BlendPlan:
    """What to evaluate for one frame: these weights in one batched call, then mix the pictures."""

    weights: tuple
    mix: float  # output crossfade from picture 0 to picture 1 (0 when there is one picture)


def plan_blend(a: Morphable | None, b: Morphable | None, crossfade: float, morph: bool) -> BlendPlan:
    """The cheapest evaluation for a crossfade between prepared styles a and b.

    One style when the other has no weight; a single morphed network when morphing;
    otherwise both styles, evaluated together and mixed by `crossfade`.
    """
    if b is None or crossfade <= 0.0:
        return BlendPlan((a,) if a is not None else (), 0.0)
    if a is None or crossfade >= 1.0:
        return BlendPlan((b,), 0.0)
    if morph:
        return BlendPlan((a.morph(b, crossfade),), 0.0)
    return BlendPlan((a, b), crossfade)


def mix_pictures(pictures: Sequence[np.ndarray], mix: float) -> np.ndarray:
    """Output crossfade of uint8 pictures on the CPU (the GL path does the same in a shader)."""
    if len(pictures) == 1 or mix <= 0.0:
        return pictures[0]
    if mix >= 1.0:
        return pictures[1]
    a = pictures[0].astype(np.float32)
    mixed = a + (pictures[1].astype(np.float32) - a) * np.float32(mix)
    return (mixed + 0.5).astype(np.uint8)
