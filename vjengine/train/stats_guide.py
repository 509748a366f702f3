"""Statistics guidance: pull frames toward a colour palette and spatial-frequency targets (no CLIP)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from vjengine.errors import InputError
from vjengine.model import conditioning
from vjengine.model.cppn import CPPN
from vjengine.train import statistics
from vjengine.train.reference import square

PALETTE_SAMPLES = 8192
INIT_SIZE = 64
LOGIT_CLAMP = 0.05  # target colours are clamped to [c, 1 - c] before taking logits
SCORE_DIRECTIONS = 64
STEP_DIRECTIONS = 16


def parse_hex(colour: str) -> tuple[float, float, float]:
    """"#ff00aa" -> (1.0, 0.0, 0.667)."""
    text = colour.strip().lstrip("#")
    if len(text) != 6:
        raise InputError(f"colour {colour!r}: expected #rrggbb")
    try:
        return tuple(int(text[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    except ValueError:
        raise InputError(f"colour {colour!r}: expected #rrggbb") from None


@dataclass(frozen=True)
class StatisticsTarget:
    """What the frames' statistics should be: a colour sample set and octave-band energy shares."""

    colours: torch.Tensor  # [M, 3] in [0, 1]
    bands: torch.Tensor  # [len(BAND_EDGES) - 1], sums to 1
    description: dict

    @classmethod
    def from_palette(cls, palette: dict[str, float], bands: list[float], spread: float,
                     seed: int = 0) -> StatisticsTarget:
        """A palette {"#rrggbb": share} blurred by `spread` (RGB standard deviation) and band shares."""
        if len(bands) != len(statistics.BAND_EDGES) - 1 or min(bands) < 0 or sum(bands) <= 0:
            raise InputError(f"band targets {bands}: expected {len(statistics.BAND_EDGES) - 1} "
                             f"non-negative shares")
        generator = torch.Generator().manual_seed(seed)
        centres = torch.tensor([parse_hex(c) for c in palette])
        shares = torch.tensor(list(palette.values()), dtype=torch.float32)
        picks = torch.multinomial(shares / shares.sum(), PALETTE_SAMPLES, replacement=True,
                                  generator=generator)
        noise = spread * torch.randn(PALETTE_SAMPLES, 3, generator=generator)
        colours = (centres[picks] + noise).clamp(0, 1)
        band_tensor = torch.tensor(bands, dtype=torch.float32)
        return cls(colours, band_tensor / band_tensor.sum(), {
            "target": "palette", "palette": dict(palette), "spread": spread,
            "bands": [round(float(b), 6) for b in band_tensor / band_tensor.sum()],
            "band_edges_cycles": list(statistics.BAND_EDGES)})

    @classmethod
    def from_image(cls, reference: torch.Tensor, size: int, source: str,
                   seed: int = 0) -> StatisticsTarget:
        """The colours and band shares of a reference picture ([3, H, W]) seen at `size`."""
        picture = square(reference, size)
        generator = torch.Generator().manual_seed(seed)
        pixels = statistics.frame_colours(picture)
        picks = torch.randint(0, pixels.shape[0], (PALETTE_SAMPLES,), generator=generator)
        bands = statistics.band_energy(picture)[0]
        return cls(pixels[picks], bands, {
            "target": "image", "image": source,
            "bands": [round(float(b), 6) for b in bands],
            "band_edges_cycles": list(statistics.BAND_EDGES)})


class StatisticsGuide:
    """Per frame: sliced Wasserstein distance of its colours to the target's, plus the L1 error of
    its octave-band energy shares. Needs no model weights at all."""

    def __init__(self, target: StatisticsTarget, method: str, band_weight: float = 0.3):
        self.target, self.method, self.band_weight = target, method, band_weight
        self._score_directions = statistics.projections(SCORE_DIRECTIONS, torch.Generator().manual_seed(0))

    @torch.no_grad()
    def initialise(self, model: CPPN) -> None:
        """Start on the target's colours: apply to the output layer the linear Monge-Kantorovich
        map that takes the mean and covariance of its pre-sigmoid values over the fixed states to
        those of the target colours' logits. The structure is untouched; only colours move."""
        from vjengine.train.loop import render

        frames = render(model, conditioning.fixed_states(), INIT_SIZE)
        current = torch.logit(statistics.frame_colours(frames).double(), eps=1e-6)
        wanted = torch.logit(self.target.colours.double().clamp(LOGIT_CLAMP, 1 - LOGIT_CLAMP))
        transfer = statistics.gaussian_transfer(current, wanted)
        mean_now, mean_wanted = current.mean(dim=0), wanted.mean(dim=0)
        weight, bias = model.out.weight.double(), model.out.bias.double()
        model.out.weight.copy_(transfer @ weight)
        model.out.bias.copy_(transfer @ (bias - mean_now) + mean_wanted)

    def _terms(self, frames: torch.Tensor, directions: torch.Tensor,
               order: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        colour = torch.stack([statistics.sliced_wasserstein(statistics.frame_colours(frame[None]),
                                                            self.target.colours, directions, order)
                              for frame in frames]).mean()
        bands = statistics.band_energy(frames)
        band_error = (bands - self.target.bands.to(bands.device)).abs().sum(dim=1).mean()
        return colour, band_error

    def loss(self, frames: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, float]:
        """(loss, colour match = 1 - colour distance) for [B, 3, H, W] frames."""
        squared, band_error = self._terms(frames, statistics.projections(STEP_DIRECTIONS, generator), 2)
        colour = torch.sqrt(squared + 1e-12)
        return colour + self.band_weight * band_error, 1.0 - float(colour.detach())

    @torch.no_grad()
    def score(self, frames: torch.Tensor) -> float:
        """1 - the mean sliced Wasserstein-1 colour distance to the target (RGB in [0, 1])."""
        colour, _ = self._terms(frames, self._score_directions)
        return 1.0 - float(colour)

    @torch.no_grad()
    def band_error(self, frames: torch.Tensor) -> float:
        """Mean L1 error of the frames' band shares against the target's (0 exact, 2 disjoint)."""
        return float(self._terms(frames, self._score_directions)[1])

    def table(self) -> dict:
        return {
            **self.target.description,
            "band_weight": self.band_weight,
            "initialisation": (
                "output layer mapped onto the target colours by the linear Monge-Kantorovich "
                "transfer of mean and covariance in logit space (structure unchanged)"),
            "objective": (
                "per frame: sliced Wasserstein-2 distance between its pixel colours and the "
                f"target colours ({STEP_DIRECTIONS} random directions a step) + band_weight x L1 "
                "error of its octave-band shares of colour variance; no model weights"),
            "score_measures": (
                "colour match: 1 - sliced Wasserstein-1 distance (RGB in 0..1, "
                f"{SCORE_DIRECTIONS} fixed directions) between each whole frame's pixel colours "
                "and the target colours, mean over 8 fixed conditioning states"),
        }
