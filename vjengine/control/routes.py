"""Modulation routes: which audio feature moves which parameter, by how much, through which curve.

The routes of a scene are data here; modulate.apply_routes applies them to each frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vjengine.audio.scale import FEATURES
from vjengine.control.params import SPECS

SOURCES = FEATURES  # a route's source is a feature of the one feature scale (audio.scale)
CURVES = {
    "linear": lambda x: x,
    "square": lambda x: x * x,
    "sqrt": math.sqrt,
    "smooth": lambda x: x * x * (3.0 - 2.0 * x),
}


@dataclass(frozen=True)
class Route:
    """Feature `source`, through `curve`, moves `param` by up to `amount` of its normalised range
    as the feature rises from rest to 1 (audio.scale: a band rests at its average)."""

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
