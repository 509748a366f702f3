"""The per-frame conditioning vector: its layout, live ranges and how the trainer samples it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

LAYOUT_NAME = "time-beat-bands-v1"


@dataclass(frozen=True)
class ConditioningSlot:
    """One entry of the conditioning vector and the range it takes live."""

    name: str
    lo: float
    hi: float
    description: str
    phase_of: str = ""  # for sin/cos pairs: the phase they encode ("time" or "beat")


LAYOUT: tuple[ConditioningSlot, ...] = (
    ConditioningSlot("time_sin", -1.0, 1.0, "sin of the slow time phase", "time"),
    ConditioningSlot("time_cos", -1.0, 1.0, "cos of the slow time phase", "time"),
    ConditioningSlot("beat_sin", -1.0, 1.0, "sin of the beat phase", "beat"),
    ConditioningSlot("beat_cos", -1.0, 1.0, "cos of the beat phase", "beat"),
    ConditioningSlot("bass", 0.0, 1.0, "bass energy (0.5 = its running average)"),
    ConditioningSlot("mid", 0.0, 1.0, "mid energy (0.5 = its running average)"),
    ConditioningSlot("treble", 0.0, 1.0, "treble energy (0.5 = its running average)"),
    ConditioningSlot("onset", 0.0, 1.0, "onset envelope (1 at an onset, decaying)"),
    ConditioningSlot("level", 0.0, 1.0, "overall loudness"),
)
SIZE = len(LAYOUT)
NAMES = tuple(slot.name for slot in LAYOUT)
INDEX = {name: i for i, name in enumerate(NAMES)}


def layout_table() -> dict:
    """The layout as stored in style.toml, so a style records what it was trained on."""
    return {
        "layout": LAYOUT_NAME,
        "names": list(NAMES),
        "lo": [slot.lo for slot in LAYOUT],
        "hi": [slot.hi for slot in LAYOUT],
    }


def rest_state() -> torch.Tensor:
    """The conditioning of silence at phase zero: what the engine shows with no audio."""
    c = torch.zeros(SIZE)
    c[INDEX["time_cos"]] = 1.0
    c[INDEX["beat_cos"]] = 1.0
    for name in ("bass", "mid", "treble"):
        c[INDEX[name]] = 0.5
    return c


def sample(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n conditioning vectors drawn over the whole live range ([n, SIZE]).

    Phase pairs are drawn as an angle so that (sin, cos) stays on the unit circle,
    as it always is live; every other slot is uniform in [lo, hi].
    """
    u = torch.rand(n, SIZE, generator=generator)
    c = torch.empty(n, SIZE)
    for i, slot in enumerate(LAYOUT):
        c[:, i] = slot.lo + (slot.hi - slot.lo) * u[:, i]
    for phase in dict.fromkeys(slot.phase_of for slot in LAYOUT if slot.phase_of):
        angle = 2 * math.pi * torch.rand(n, generator=generator)
        c[:, INDEX[f"{phase}_sin"]] = torch.sin(angle)
        c[:, INDEX[f"{phase}_cos"]] = torch.cos(angle)
    return c


def fixed_states(n: int = 8) -> torch.Tensor:
    """n reproducible conditioning vectors spread over the live range (for scores and strips)."""
    return sample(n, torch.Generator().manual_seed(1234))
