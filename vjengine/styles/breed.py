"""Breeding styles, as in Picbreeder: nine children of a parent CPPN, one picked, repeat.

Each child of generation g takes every layer (a weight and its bias) from the parent or, with
probability one half, from the mate (crossover), then adds Gaussian noise scaled by that layer's
weight std times the strength. Children are seeded by the parent seed + g, so a lineage (root
style, mate, seed, the picks and their strengths) replays to the same weights. The centre child
(pick 5) is the parent unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

CHILDREN = 9
CENTRE = 5  # the pick (1..9) that keeps the parent
DEFAULT_STRENGTH = 0.2
MAX_STRENGTH = 2.0

State = dict[str, torch.Tensor]


def _layers(state: Mapping[str, torch.Tensor]) -> dict[str, list[str]]:
    """Tensor names grouped by layer ("hidden.0.weight", "hidden.0.bias" -> "hidden.0")."""
    layers: dict[str, list[str]] = {}
    for key in state:
        layers.setdefault(key.rsplit(".", 1)[0], []).append(key)
    return layers


def children(parent: Mapping[str, torch.Tensor], mate: Mapping[str, torch.Tensor] | None,
             strength: float, seed: int) -> list[State]:
    """The nine children of `parent` (pick N is list index N - 1); `mate` must have the same
    tensor shapes. Deterministic in (parent, mate, strength, seed)."""
    if not 0.0 <= strength <= MAX_STRENGTH:
        raise ValueError(f"breed strength {strength:g}: expected 0..{MAX_STRENGTH:g}")
    if mate is not None and {k: v.shape for k, v in mate.items()} != {k: v.shape for k, v in parent.items()}:
        raise ValueError("the mate's layers do not match the parent's (different CPPN configs)")
    generator = torch.Generator().manual_seed(seed)
    layers = _layers(parent)
    result = []
    for pick in range(1, CHILDREN + 1):
        if pick == CENTRE:
            result.append({k: v.clone() for k, v in parent.items()})
            continue
        child: State = {}
        for keys in layers.values():
            crossed = mate is not None and torch.rand((), generator=generator).item() < 0.5
            source = mate if crossed else parent
            weight = next((source[k] for k in keys if k.endswith("weight")), source[keys[0]])
            scale = strength * float(weight.std()) if weight.numel() > 1 else 0.0
            for key in keys:
                noise = torch.randn(source[key].shape, generator=generator) * scale
                child[key] = (source[key] + noise).to(torch.float32)
        result.append(child)
    return result


@dataclass
class Lineage:
    """How a bred style came about: style.toml's [breed] table."""

    parent: str  # the style breeding started from
    seed: int
    mate: str = ""  # style B at the start, crossed in ("" none)
    picks: list[int] = field(default_factory=list)
    strengths: list[float] = field(default_factory=list)  # the strength each pick was bred at

    @property
    def generation(self) -> int:
        return len(self.picks)

    def picked(self, pick: int, strength: float) -> None:
        self.picks.append(pick)
        self.strengths.append(strength)

    def table(self) -> dict:
        return {"parent": self.parent, "mate": self.mate, "seed": self.seed, "generation": self.generation,
                "strength": self.strengths[-1] if self.strengths else DEFAULT_STRENGTH,
                "picks": list(self.picks), "strengths": list(self.strengths)}


def replay(root: Mapping[str, torch.Tensor], mate: Mapping[str, torch.Tensor] | None,
           lineage: Lineage) -> State:
    """The weights a lineage arrives at from its root style (and mate)."""
    state: State = dict(root)
    for generation, (pick, strength) in enumerate(zip(lineage.picks, lineage.strengths)):
        state = children(state, mate, strength, lineage.seed + generation)[pick - 1]
    return state


def seed_of(content_hash: str) -> int:
    """A style's breeding seed, from its content hash (0 for a style without one)."""
    return int(content_hash[:8], 16) if content_hash else 0
