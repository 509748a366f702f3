"""THE parameter schema: every live parameter once, and ParamState that holds their values.

OSC addresses, MIDI maps, presets, the HUD and the README table are all derived from PARAMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    """One live parameter: its range, default, smoothing time and meaning."""

    name: str
    default: float
    lo: float
    hi: float
    smoothing: float  # seconds to move ~63% of the way to a new value (0 = at once)
    description: str
    curve: str = "linear"  # how a normalised 0..1 value maps onto lo..hi: "linear" or "log"
    integer: bool = False

    def clamp(self, value: float) -> float:
        value = min(max(value, self.lo), self.hi)
        return float(round(value)) if self.integer else value

    def from_normalised(self, x: float) -> float:
        """Map 0..1 (Resolume/TouchDesigner habit) onto the range, then clamp."""
        x = min(max(x, 0.0), 1.0)
        if self.curve == "log":
            value = self.lo * (self.hi / self.lo) ** x
        else:
            value = self.lo + (self.hi - self.lo) * x
        return self.clamp(value)

    def to_normalised(self, value: float) -> float:
        value = self.clamp(value)
        if self.curve == "log":
            return math.log(value / self.lo) / math.log(self.hi / self.lo)
        return (value - self.lo) / (self.hi - self.lo)


PARAMS: tuple[ParamSpec, ...] = (
    ParamSpec("xfade", 0.0, 0.0, 1.0, 0.05, "crossfade from style A (0) to style B (1)"),
    ParamSpec("speed", 1.0, 0.0, 4.0, 0.3, "how fast the style's slow time phase runs"),
    ParamSpec("zoom", 1.0, 0.25, 4.0, 0.2, "zoom into the CPPN plane", curve="log"),
    ParamSpec("spin", 0.0, -1.0, 1.0, 0.3, "rotation speed, turns per 10 s"),
    ParamSpec("pan_x", 0.0, -2.0, 2.0, 0.2, "pan across the CPPN plane, horizontal"),
    ParamSpec("pan_y", 0.0, -2.0, 2.0, 0.2, "pan across the CPPN plane, vertical"),
    ParamSpec("symmetry", 0.0, 0.0, 8.0, 0.0, "mirror folds of the plane: 1, 2 or an n-fold kaleidoscope",
              integer=True),
    ParamSpec("reactivity", 1.0, 0.0, 2.0, 0.1, "how strongly audio drives the style"),
    ParamSpec("beat_zoom", 0.08, 0.0, 0.5, 0.1, "zoom pulse on each beat"),
    ParamSpec("hue", 0.0, 0.0, 1.0, 0.1, "hue rotation of the output (turns)"),
    ParamSpec("saturation", 1.0, 0.0, 2.0, 0.1, "colour saturation of the output"),
    ParamSpec("brightness", 0.0, -0.5, 0.5, 0.1, "brightness offset of the output"),
    ParamSpec("contrast", 1.0, 0.0, 2.0, 0.1, "contrast of the output"),
    ParamSpec("trails", 0.0, 0.0, 0.95, 0.1, "video feedback: how much of the last frame stays"),
    ParamSpec("kaleido", 0.0, 0.0, 12.0, 0.0, "kaleidoscope segments of the output (0 = off)",
              integer=True),
    ParamSpec("flash", 0.25, 0.0, 1.0, 0.05, "brightness flash on each beat"),
    ParamSpec("strobe", 0.0, 0.0, 1.0, 0.0, "hard white strobe on beats, never above 3 Hz"),
    ParamSpec("energy_follow", 0.8, 0.0, 1.0, 0.1,
              "how far the picture follows the music's energy: darker, slower, no flashes in a breakdown"),
)
SPECS: dict[str, ParamSpec] = {spec.name: spec for spec in PARAMS}


class ParamState:
    """Target and smoothed current value of every parameter (render thread only)."""

    def __init__(self, values: dict[str, float] | None = None):
        self.target = {spec.name: spec.default for spec in PARAMS}
        if values:
            for name, value in values.items():
                self.set(name, value)
        self.current = dict(self.target)

    def set(self, name: str, value: float) -> float:
        """Set an absolute value (clamped to the schema); returns what was stored."""
        spec = SPECS[name]
        if not math.isfinite(value):
            raise ValueError(f"parameter {name}: expected a finite number, got {value!r}")
        self.target[name] = spec.clamp(float(value))
        return self.target[name]

    def set_normalised(self, name: str, x: float) -> float:
        """Set from a 0..1 control value; returns the absolute value stored."""
        if not math.isfinite(x):
            raise ValueError(f"parameter {name}: expected a finite number, got {x!r}")
        return self.set(name, SPECS[name].from_normalised(float(x)))

    def nudge(self, name: str, step: float) -> float:
        """Move a parameter by `step` of its normalised range (keys); returns the absolute value."""
        if not math.isfinite(step):
            raise ValueError(f"parameter {name}: expected a finite step, got {step!r}")
        return self.set_normalised(name, SPECS[name].to_normalised(self.target[name]) + step)

    def snap(self, name: str, value: float) -> float:
        """Set target and current value at once, without smoothing; returns what was stored."""
        self.current[name] = self.set(name, value)
        return self.current[name]

    def jump(self) -> None:
        """Make every current value equal its target (scene loads, offline starts)."""
        self.current = dict(self.target)

    def advance(self, dt: float) -> dict[str, float]:
        """Move current values toward their targets by dt seconds of smoothing; returns them."""
        for spec in PARAMS:
            target = self.target[spec.name]
            if spec.smoothing <= 0:
                self.current[spec.name] = target
            elif dt > 0:
                k = 1.0 - math.exp(-dt / spec.smoothing)
                self.current[spec.name] += k * (target - self.current[spec.name])
        return self.current
