"""Beat-quantised transitions: when a change of style starts, how long it lasts, how it eases.

A transition is timed in beats of the show's beat position (control.tempo): it starts on the next
beat or bar (or at once), lasts N beats, and N = 0 is a cut on that beat. How the two styles are
blended meanwhile (weight morph or picture crossfade, `MODES`) is render.blend's decision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MODES = ("auto", "crossfade", "morph")  # how render.blend blends two styles (see there)
QUANTISE = ("none", "beat", "bar")
MAX_BEATS = 256.0


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
