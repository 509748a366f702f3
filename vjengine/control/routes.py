"""Modulation routes: an audio feature moves a parameter by an amount of its range, through a curve."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from vjengine.audio.features import AudioFeatures
from vjengine.control.params import SPECS
from vjengine.modulate import BEAT_DECAY, LEVEL_FLOOR_DB, ONSET_DECAY, envelope

SOURCES = {
    "bass": "bass energy above its running average (0 at the average, 1 at twice it)",
    "mid": "mid energy above its running average",
    "treble": "treble energy above its running average",
    "level": f"loudness, {LEVEL_FLOOR_DB:g} dB -> 0 to 0 dB -> 1",
    "onset": "onset envelope: 1 at an onset, decaying",
    "beat": "beat envelope: 1 on the beat, decaying",
    "phase": "position within the beat, rising 0 -> 1",
}
CURVES = {
    "linear": lambda x: x,
    "square": lambda x: x * x,
    "sqrt": math.sqrt,
    "smooth": lambda x: x * x * (3.0 - 2.0 * x),
}


@dataclass(frozen=True)
class Route:
    """Feature `source` (0..1, through `curve`) adds `amount` x the parameter's normalised range."""

    source: str
    param: str
    amount: float
    curve: str = "linear"

    def __post_init__(self):
        if not isinstance(self.source, str) or self.source not in SOURCES:
            raise ValueError(f"route source {self.source!r}: expected one of {', '.join(SOURCES)}")
        if not isinstance(self.param, str) or self.param not in SPECS:
            raise ValueError(f"route parameter {self.param!r}: not in the parameter schema")
        if not (isinstance(self.amount, (int, float)) and math.isfinite(self.amount)
                and -1.0 <= self.amount <= 1.0):
            raise ValueError(f"route amount {self.amount!r}: expected a number in -1..1")
        if not isinstance(self.curve, str) or self.curve not in CURVES:
            raise ValueError(f"route curve {self.curve!r}: expected one of {', '.join(CURVES)}")


def source_value(source: str, features: AudioFeatures, t: float) -> float:
    """A feature scaled to 0..1 at time t."""
    if source in ("bass", "mid", "treble"):
        value = getattr(features, f"{source}_att") - 1.0
    elif source == "level":
        value = 1.0 - 20.0 * math.log10(max(features.rms, 1e-9)) / LEVEL_FLOOR_DB
    elif source == "onset":
        value = envelope(t, features.onset_t, ONSET_DECAY)
    elif source == "beat":
        value = envelope(t, features.beat_t, BEAT_DECAY)
    else:
        value = features.beat_phase(t)
    return min(max(value, 0.0), 1.0)


def apply_routes(values: dict[str, float], routes: Iterable[Route], features: AudioFeatures,
                 t: float) -> dict[str, float]:
    """Parameter values with every route's offset added in normalised units, clamped by the schema."""
    offsets: dict[str, float] = {}
    for route in routes:
        x = CURVES[route.curve](source_value(route.source, features, t))
        offsets[route.param] = offsets.get(route.param, 0.0) + route.amount * x
    if not offsets:
        return values
    out = dict(values)
    for name, offset in offsets.items():
        spec = SPECS[name]
        out[name] = spec.from_normalised(spec.to_normalised(values[name]) + offset)
    return out
