"""The CPPN: a sine MLP from pixel coordinates plus a per-frame conditioning vector to RGB.

Contract shared by the engine and the trainer (see ARCHITECTURE.md):
per pixel (x, y, r) in [-pi, pi]; per frame a conditioning vector c; `depth` hidden
layers Linear + sin(frequency * z); an output Linear -> 3 -> sigmoid. Layer 1 splits
into a per-pixel term (coords only) and a per-frame bias (c only).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from vjengine.model import conditioning

COORD_SIZE = 3  # x, y, r
MAX_WIDTH, MAX_DEPTH, MAX_FREQUENCY = 1024, 16, 1000.0  # far beyond real-time use; bounds memory


@dataclass(frozen=True)
class CPPNConfig:
    """Everything needed to rebuild a CPPN; stored in every style.toml under [cppn]."""

    width: int = 128
    depth: int = 4
    frequency: float = 1.0
    cond_size: int = conditioning.SIZE

    def __post_init__(self):
        for name, value, hi in (("width", self.width, MAX_WIDTH), ("depth", self.depth, MAX_DEPTH),
                                ("cond_size", self.cond_size, 64)):
            if type(value) is not int or not (0 if name == "cond_size" else 1) <= value <= hi:
                raise ValueError(f"CPPNConfig.{name} must be an integer up to {hi}, got {value!r}")
        if (not isinstance(self.frequency, (int, float)) or isinstance(self.frequency, bool)
                or not math.isfinite(self.frequency) or not 0 < self.frequency <= MAX_FREQUENCY):
            raise ValueError(f"CPPNConfig.frequency must be a number in (0, {MAX_FREQUENCY}], "
                             f"got {self.frequency!r}")

    @classmethod
    def from_dict(cls, table: dict) -> "CPPNConfig":
        """Build from a TOML table; unknown keys are an error, missing keys take defaults."""
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"unknown [cppn] keys {sorted(unknown)} (expected {sorted(known)})")
        return cls(**table)

    def to_dict(self) -> dict:
        return asdict(self)

    def tensor_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of every tensor in the state dict, without building the network."""
        shapes = {"hidden.0.weight": (self.width, COORD_SIZE + self.cond_size), "hidden.0.bias": (self.width,)}
        for i in range(1, self.depth):
            shapes[f"hidden.{i}.weight"] = (self.width, self.width)
            shapes[f"hidden.{i}.bias"] = (self.width,)
        shapes["out.weight"], shapes["out.bias"] = (3, self.width), (3,)
        return shapes

    @property
    def parameter_count(self) -> int:
        return sum(math.prod(shape) for shape in self.tensor_shapes().values())


class CPPN(nn.Module):
    """The network; holds no I/O and knows nothing of CLIP, audio or GL."""

    def __init__(self, config: CPPNConfig = CPPNConfig(), seed: int | None = None):
        super().__init__()
        self.config = config
        w = config.width
        self.hidden = nn.ModuleList(
            [nn.Linear(COORD_SIZE + config.cond_size, w)]
            + [nn.Linear(w, w) for _ in range(config.depth - 1)]
        )
        self.out = nn.Linear(w, 3)
        self.reset_parameters(seed)

    @torch.no_grad()
    def reset_parameters(self, seed: int | None = None) -> None:
        """Sine-network initialisation, independent of `frequency` in what it draws.

        The effective pre-activation weights (frequency * W) are U(-1, 1) in layer 1,
        so a few periods span the frame, and U(-sqrt(6/n), sqrt(6/n)) after it (SIREN),
        so activations stay well spread through depth.
        """
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        omega = self.config.frequency
        for i, layer in enumerate(self.hidden):
            bound = 1.0 if i == 0 else math.sqrt(6.0 / layer.in_features)
            layer.weight.copy_((torch.rand(layer.weight.shape, generator=gen) * 2 - 1) * bound / omega)
            layer.bias.copy_((torch.rand(layer.bias.shape, generator=gen) * 2 - 1) * math.pi / omega)
        bound = math.sqrt(6.0 / self.out.in_features)
        self.out.weight.copy_((torch.rand(self.out.weight.shape, generator=gen) * 2 - 1) * bound)
        self.out.bias.zero_()

    def pixel_term(self, coords: torch.Tensor) -> torch.Tensor:
        """Layer 1's per-pixel part: coords [N, 3] -> [N, width]. Cache it while coords hold."""
        return coords @ self.hidden[0].weight[:, :COORD_SIZE].T

    def frame_bias(self, cond: torch.Tensor) -> torch.Tensor:
        """Layer 1's per-frame part: cond [C] or [B, C] -> [width] or [B, 1, width]."""
        first = self.hidden[0]
        bias = cond @ first.weight[:, COORD_SIZE:].T + first.bias
        return bias if cond.dim() == 1 else bias.unsqueeze(-2)

    def forward_split(self, pixel_term: torch.Tensor, frame_bias: torch.Tensor) -> torch.Tensor:
        """RGB in [0, 1] from the two halves of layer 1: [N, 3], or [B, N, 3] for batched bias."""
        omega = self.config.frequency
        h = torch.sin(omega * (pixel_term + frame_bias))
        for layer in self.hidden[1:]:
            h = torch.sin(omega * layer(h))
        return torch.sigmoid(self.out(h))

    def forward(self, coords: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """The unsplit network: coords [N, 3], cond [C] or [B, C] -> RGB [N, 3] or [B, N, 3]."""
        if cond.dim() == 1:
            x = torch.cat([coords, cond.expand(coords.shape[0], -1)], dim=1)
        else:
            n, b = coords.shape[0], cond.shape[0]
            x = torch.cat([coords.expand(b, n, -1), cond[:, None, :].expand(b, n, -1)], dim=2)
        h = x
        for layer in self.hidden:
            h = torch.sin(self.config.frequency * layer(h))
        return torch.sigmoid(self.out(h))
