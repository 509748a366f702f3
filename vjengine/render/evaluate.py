"""CPPN evaluation backends behind one interface: frame inputs + styles -> RGB pictures."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from vjengine.model import coords
from vjengine.model.cppn import COORD_SIZE, CPPN, CPPNConfig
from vjengine.modulate import FrameInputs
from vjengine.render.fastmath import fast_sin
from vjengine.styles.store import Style

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FoldedWeights:
    """A style's weights laid out for evaluation: transposed, with the sine frequency folded in.

    Layer 1 is split into `coord` (per-pixel, [3, width]), `cond` ([C, width]) and `bias`.
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
                out=(model.out.weight.T.contiguous(), model.out.bias.clone()),
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

    def to(self, device: torch.device | str, dtype: torch.dtype) -> "FoldedWeights":
        return self._rebuild([t.to(device=device, dtype=dtype).contiguous() for t in self.tensors()])

    def morph(self, other: "FoldedWeights", amount: float) -> "FoldedWeights":
        """Weights interpolated toward other (same config only): a weight morph, not a crossfade."""
        if other.config != self.config:
            raise ValueError(f"weight morph needs equal configs, got {self.config} and {other.config}")
        return self._rebuild([torch.lerp(a, b, amount) for a, b in zip(self.tensors(), other.tensors())])

    def frame_bias(self, conditioning: Sequence[float]) -> torch.Tensor:
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


def to_uint8(rgb: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats -> uint8, rounding half up (the same rule on every backend)."""
    return (rgb * 255.0 + 0.5).to(torch.uint8)


class ReferenceBackend(Backend):
    """The plain eager fp32 network, unsplit, whole frame at once: the ground truth and the baseline."""

    name = "reference"

    def prepare(self, style: Style) -> CPPN:  # type: ignore[override]
        return style.model()

    def evaluate(self, styles, width, height, frame):
        grid = coords.grid(width, height, frame.transform)
        cond = torch.tensor(frame.conditioning, dtype=torch.float32)
        with torch.no_grad():
            return [to_uint8(net(grid, cond)).reshape(height, width, 3).numpy() for net in styles]


def _chunk_rgb(xyr: torch.Tensor, bias: torch.Tensor, coord: torch.Tensor,
               layers: tuple[tuple[torch.Tensor, torch.Tensor], ...],
               out: tuple[torch.Tensor, torch.Tensor], sin=fast_sin) -> torch.Tensor:
    """The network on one chunk of pixels: the per-pixel term plus the per-frame bias, then on."""
    h = sin(torch.addmm(bias, xyr, coord))
    for w, b in layers:
        h = sin(torch.addmm(b, h, w))
    return to_uint8(torch.sigmoid(torch.addmm(out[1], h, out[0])))


class CPUBackend(Backend):
    """The CPU fast path: folded layer 1, fixed-size pixel chunks, a compiled fused sine kernel.

    The per-pixel layer-1 term is recomputed in each chunk from cached coordinates: it is
    0.8% of the work, while caching it would take `width / 3` times the coordinates' memory.
    """

    name = "cpu"

    def __init__(self, chunk: int = 4096, compile: bool = True):
        self.chunk = chunk
        self._kernel = _chunk_rgb
        if compile:
            self._kernel = torch.compile(_chunk_rgb, dynamic=False, fullgraph=True)
        self._compiled = compile
        self._padded: dict[tuple, torch.Tensor] = {}

    def _coords(self, width: int, height: int, frame: FrameInputs) -> torch.Tensor:
        """The coordinate grid padded to whole chunks (one compiled shape), cached per transform."""
        key = (width, height, frame.transform)
        padded = self._padded.get(key)
        if padded is None:
            grid = coords.grid(width, height, frame.transform)
            n = grid.shape[0]
            padded = torch.zeros(-(-n // self.chunk) * self.chunk, COORD_SIZE)
            padded[:n] = grid
            self._padded = {key: padded}
        return padded

    def _run(self, xyr, bias, style):
        try:
            return self._kernel(xyr, bias, style.coord, style.hidden, style.out)
        except Exception as exc:  # a missing compiler must not stop the show: fall back once
            if not self._compiled:
                raise
            log.warning("torch.compile unavailable (%s); using the eager CPU path", exc)
            self._kernel = lambda *args: _chunk_rgb(*args, sin=torch.sin)
            self._compiled = False
            return self._kernel(xyr, bias, style.coord, style.hidden, style.out)

    def evaluate(self, styles, width, height, frame):
        xyr = self._coords(width, height, frame)
        n = width * height
        pictures = []
        with torch.no_grad():
            for style in styles:
                bias = style.frame_bias(frame.conditioning)
                rgb = torch.empty(xyr.shape[0], 3, dtype=torch.uint8)
                for start in range(0, xyr.shape[0], self.chunk):
                    stop = start + self.chunk
                    rgb[start:stop] = self._run(xyr[start:stop], bias, style)
                pictures.append(rgb[:n].reshape(height, width, 3).numpy())
        return pictures


BACKENDS = {"cpu": CPUBackend, "reference": ReferenceBackend}


def make_backend(name: str = "auto") -> Backend:
    """The named backend; "auto" picks the fastest available here."""
    if name == "auto":
        name = "cpu"
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ValueError(f"unknown backend {name!r} (expected auto or one of {sorted(BACKENDS)})") from None
