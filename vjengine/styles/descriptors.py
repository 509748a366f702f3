"""What a style looks like, measured from its own frames: brightness, colour, contrast, motion, beat response.

The plain fp32 network (the reference backend's) draws a few small frames under chosen
conditioning states: at rest, a little later in its slow time phase, and on a loud beat. That
takes milliseconds per style, so descriptors are measured when a show starts, not stored.
A style may override any of them in style.toml:

    [autopilot]
    brightness = 0.9
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from vjengine.errors import InputError
from vjengine.model import coords
from vjengine.model.conditioning import INDEX, rest_state
from vjengine.styles.store import Style

SIZE = (48, 27)
TIME_STEP = 0.15  # radians of the slow time phase between the two motion frames
OVERRIDE_TABLE = "autopilot"


@dataclass(frozen=True)
class Descriptors:
    """Each in 0..1."""

    brightness: float  # mean luminance
    colourfulness: float  # Hasler and Suesstrunk's metric, 1 = very colourful
    contrast: float  # spread of luminance
    motion: float  # change of the picture as its time phase moves
    beat_response: float  # change of the picture on a loud beat

    @property
    def intensity(self) -> float:
        """How much the style suits a high-energy section (0 calm .. 1 intense)."""
        return (self.brightness + self.colourfulness + self.contrast + self.motion + self.beat_response) / 5.0


def _picture(net, conditioning: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        rgb = net(coords.grid(*SIZE), conditioning)
    return rgb.reshape(SIZE[1], SIZE[0], 3).numpy().astype(np.float64)


def _luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def _colourfulness(rgb: np.ndarray) -> float:
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return math.hypot(rg.std(), yb.std()) + 0.3 * math.hypot(rg.mean(), yb.mean())


def measure(style: Style) -> Descriptors:
    """The style's descriptors from its rendered frames, then its style.toml overrides."""
    net = style.model()
    rest = rest_state()
    later = rest.clone()
    later[INDEX["time_sin"]], later[INDEX["time_cos"]] = math.sin(TIME_STEP), math.cos(TIME_STEP)
    beat = rest.clone()
    for name in ("bass", "mid", "treble", "onset", "level"):
        beat[INDEX[name]] = 1.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # frames this small: threads only contend (~100x slower on a busy machine)
    try:
        at_rest, moved, on_beat = (_picture(net, c) for c in (rest, later, beat))
    finally:
        torch.set_num_threads(threads)
    luminance = _luminance(at_rest)
    measured = Descriptors(
        brightness=float(luminance.mean()),
        colourfulness=min(_colourfulness(at_rest) / 1.0, 1.0),
        contrast=min(float(luminance.std()) / 0.3, 1.0),
        motion=min(float(np.abs(moved - at_rest).mean()) / 0.1, 1.0),
        beat_response=min(float(np.abs(on_beat - at_rest).mean()) / 0.4, 1.0),
    )
    return with_overrides(measured, style)


def with_overrides(measured: Descriptors, style: Style) -> Descriptors:
    """`measured` with the values style.toml's [autopilot] table gives; bad ones are an InputError."""
    table = style.meta.get(OVERRIDE_TABLE, {})
    names = {f.name for f in fields(Descriptors)}
    if not isinstance(table, dict) or set(table) - names:
        raise InputError(f"style {style.slug}: [{OVERRIDE_TABLE}] in style.toml may only set "
                         f"{', '.join(sorted(names))} (numbers 0..1)")
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise InputError(f"style {style.slug}: [{OVERRIDE_TABLE}] {name} = {value!r}, expected a number 0..1")
    return replace(measured, **{name: float(value) for name, value in table.items()})
