"""The training recipe: every number that decides what a training run does."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from vjengine.errors import InputError


@dataclass(frozen=True)
class Recipe:
    """Optimisation settings; the defaults reproduce the reference recipe (800 Adam steps at
    lr 1e-3, the first half at 256x256 and the second at 512x512, a 4 x 128 CPPN, FP32).

    `steps` are split evenly across `sizes` in order. Each step renders `states` conditioning
    vectors drawn over the live range. At initialisation `coord_scale` multiplies layer 1's
    weights on x, y and r (larger: finer structure; unequal: stripes or rings) and `out_scale`
    the output layer's (larger: more saturated colour with crisper edges). `responsive` weighs a
    hinge that asks the states to differ by at least `contrast_target` (mean absolute pixel
    difference). `pan` shifts each step's square window by up to that much in x and in y (in
    units of the short half-side), so the sides of a wide frame (0.78 covers 16:9) and what
    live zoom and rotation reveal are trained too, and no colour can hide at the frame's edge.
    `warmup` ramps the learning rate up linearly over the first steps, so Adam's first, full-size
    steps do not scramble a good initialisation.
    """

    steps: int = 800
    sizes: tuple[int, ...] = (256, 512)
    lr: float = 1e-3
    states: int = 2
    seed: int = 0
    width: int = 128
    depth: int = 4
    frequency: float = 1.0
    coord_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)
    out_scale: float = 1.0
    responsive: float = 0.0
    contrast_target: float = 0.1
    pan: float = 0.0
    warmup: int = 0

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(int(s) for s in self.sizes))
        scale = self.coord_scale
        scale = (scale,) * 3 if isinstance(scale, (int, float)) else tuple(float(s) for s in scale)
        object.__setattr__(self, "coord_scale", scale)
        problems = []
        if self.steps < 1:
            problems.append(f"steps {self.steps} (need >= 1)")
        if not self.sizes or min(self.sizes) < 16 or max(self.sizes) > 4096:
            problems.append(f"sizes {list(self.sizes)} (need one or more of 16..4096)")
        if not (math.isfinite(self.lr) and self.lr > 0):
            problems.append(f"lr {self.lr} (need > 0)")
        if self.warmup < 0:
            problems.append(f"warmup {self.warmup} (need >= 0)")
        if self.states < 1:
            problems.append(f"states {self.states} (need >= 1)")
        if self.responsive > 0 and self.states < 2:
            problems.append("responsive > 0 needs states >= 2")
        if len(scale) != 3 or not all(math.isfinite(s) and s >= 0 for s in scale):
            problems.append(f"coord_scale {list(scale)} (need one or three numbers >= 0 for x, y, r)")
        for name in ("out_scale", "frequency"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                problems.append(f"{name} {value} (need > 0)")
        if not (self.responsive >= 0 and self.contrast_target >= 0 and 0 <= self.pan <= 4):
            problems.append("responsive and contrast_target must be >= 0, pan within 0..4")
        if self.width < 1 or self.depth < 1:
            problems.append(f"width {self.width} / depth {self.depth} (need >= 1)")
        if problems:
            raise InputError("bad training recipe: " + "; ".join(problems))

    def cppn_config(self):
        """The CPPNConfig this recipe trains."""
        from vjengine.model.cppn import CPPNConfig

        return CPPNConfig(width=self.width, depth=self.depth, frequency=self.frequency)

    def lr_at(self, step: int) -> float:
        """The learning rate for a step (0-based), after the warmup ramp."""
        return self.lr * min(1.0, (step + 1) / self.warmup) if self.warmup else self.lr

    def size_at(self, step: int) -> int:
        """The training resolution for a step (0-based)."""
        index = min(step * len(self.sizes) // self.steps, len(self.sizes) - 1)
        return self.sizes[index]

    def table(self) -> dict:
        table = asdict(self)
        table["sizes"] = list(self.sizes)
        table["coord_scale"] = list(self.coord_scale)
        return table

    @classmethod
    def from_table(cls, table: dict) -> Recipe:
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise InputError(f"unknown recipe keys {sorted(unknown)} (expected {sorted(known)})")
        table = dict(table)
        if isinstance(table.get("sizes"), list):
            table["sizes"] = tuple(table["sizes"])
        if isinstance(table.get("coord_scale"), list):
            table["coord_scale"] = tuple(table["coord_scale"])
        return cls(**table)
