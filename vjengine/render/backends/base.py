"""The backend interface: prepared style weights in, uint8 pictures out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vjengine.model.cppn import COORD_SIZE, CPPN, CPPNConfig
from vjengine.modulate import FrameInputs
from vjengine.styles.store import Style


@dataclass(frozen=True)
class FoldedWeights:
    """A style's weights laid out for evaluation: transposed, with the sine frequency folded in.

    Layer 1 is split into `coord` (per-pixel, [3, width]), `cond` ([C, width]) and `bias`;
    `hidden` holds ([width, width], [width]) pairs; `out` holds the output layer as
    ([3, width], [3]), the nn.Linear layout, which matrix libraries multiply fastest as `h @ w.T`.
    """

    config: CPPNConfig
    coord: torch.Tensor
    cond: torch.Tensor
    bias: torch.Tensor
    hidden: tuple[tuple[torch.Tensor, torch.Tensor], ...]
    out: tuple[torch.Tensor, torch.Tensor]

    @classmethod
    def from_model(cls, model: CPPN) -> "FoldedWeights":
        omega = model.config.frequency
        with torch.no_grad():
            first = model.hidden[0]
            w1 = (first.weight.T * omega).contiguous()
            return cls(
                config=model.config,
                coord=w1[:COORD_SIZE].contiguous(),
                cond=w1[COORD_SIZE:].contiguous(),
                bias=(first.bias * omega).contiguous(),
                hidden=tuple(((layer.weight.T * omega).contiguous(), (layer.bias * omega).contiguous())
                             for layer in model.hidden[1:]),
                out=(model.out.weight.detach().clone(), model.out.bias.detach().clone()),
            )

    def tensors(self) -> list[torch.Tensor]:
        flat = [self.coord, self.cond, self.bias]
        for w, b in self.hidden:
            flat += [w, b]
        return flat + list(self.out)

    def _rebuild(self, tensors: list[torch.Tensor]) -> "FoldedWeights":
        coord, cond, bias, *rest = tensors
        hidden = tuple((rest[i], rest[i + 1]) for i in range(0, len(rest) - 2, 2))
        return FoldedWeights(self.config, coord, cond, bias, hidden, (rest[-2], rest[-1]))

    def to(self, device: torch.device | str, dtype: torch.dtype,
           first_layer_dtype: torch.dtype | None = None) -> "FoldedWeights":
        """A copy on device in dtype; layer 1 (coord, cond, bias) in first_layer_dtype if given."""
        first = first_layer_dtype or dtype
        return self._rebuild([t.to(device=device, dtype=first if i < 3 else dtype).contiguous()
                              for i, t in enumerate(self.tensors())])

    def morph(self, other: "FoldedWeights", amount: float) -> "FoldedWeights":
        """Weights interpolated toward other (same config only): a weight morph, not a crossfade."""
        if other.config != self.config:
            raise ValueError(f"weight morph needs equal configs, got {self.config} and {other.config}")
        return self._rebuild([torch.lerp(a, b, amount) for a, b in zip(self.tensors(), other.tensors())])

    def frame_bias(self, conditioning: Sequence[float]) -> torch.Tensor:
        """Layer 1's per-frame part for this conditioning vector: [width]."""
        c = torch.tensor(conditioning, dtype=self.cond.dtype, device=self.cond.device)
        return torch.addmv(self.bias, self.cond.T, c)


class Backend(ABC):
    """Evaluates one or more styles for a frame at a given internal resolution."""

    name: str

    def prepare(self, style: Style) -> FoldedWeights:
        """Cast and lay out a style's weights once, when it is loaded (not per frame)."""
        return FoldedWeights.from_model(style.model())

    @abstractmethod
    def evaluate(self, styles: Sequence[FoldedWeights], width: int, height: int,
                 frame: FrameInputs) -> list[np.ndarray]:
        """One uint8 [height, width, 3] picture per style, all under the same frame inputs."""

    def close(self) -> None:
        """Release threads, device memory and settings the backend holds (idempotent)."""

    def __enter__(self) -> "Backend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def to_uint8(rgb: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats -> uint8, rounding half up (the same rule on every backend)."""
    return (rgb * 255.0 + 0.5).to(torch.uint8)
