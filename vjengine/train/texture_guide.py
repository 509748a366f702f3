"""Texture guidance: Gram matrices of fixed random multi-scale filters, palette and spectrum (no weights).

After Ustyuzhaninov, Brendel, Gatys and Bethge, "Texture synthesis using shallow convolutional
networks with random filters" (2016): the correlations (Gram matrices) of ReLU responses of a
single layer of random, untrained convolution filters, taken at several scales, capture a
texture's forms well enough to synthesise it. Here the scales are the octaves of an image
pyramid, each with its own seeded filter bank, so nothing is downloaded and every run is
reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from vjengine.train import statistics
from vjengine.train.reference import square
from vjengine.train.stats_guide import PALETTE_SAMPLES, SCORE_DIRECTIONS, STEP_DIRECTIONS, StatisticsGuide

FILTER_SEED = 20160520
FILTERS = 48
KERNEL = 5
LEVELS = 4  # octaves: the frame, then halved three times
MIN_LEVEL_SIZE = 8


def filter_bank(levels: int = LEVELS, filters: int = FILTERS, kernel: int = KERNEL) -> list[torch.Tensor]:
    """One seeded bank of zero-mean random filters ([filters, 3, k, k]) per pyramid level."""
    generator = torch.Generator().manual_seed(FILTER_SEED)
    banks = []
    for _ in range(levels):
        weight = torch.randn(filters, 3, kernel, kernel, generator=generator)
        weight = weight - weight.mean(dim=(1, 2, 3), keepdim=True)
        banks.append(weight / weight.flatten(1).norm(dim=1)[:, None, None, None])
    return banks


def gram_matrices(frames: torch.Tensor, banks: list[torch.Tensor]) -> list[torch.Tensor]:
    """Per level, [B, F, F] Gram matrices of the ReLU responses of the level's filters to
    [B, 3, H, W] frames (centred on grey), averaged over positions; level n sees the frame
    downsampled n times by 2, so its filters see structures 2^n times larger."""
    picture = frames - 0.5
    grams = []
    for level, bank in enumerate(banks):
        if level:
            picture = F.avg_pool2d(picture, 2)
        if min(picture.shape[-2:]) < MIN_LEVEL_SIZE:
            break
        response = F.relu(F.conv2d(picture, bank.to(picture.device, picture.dtype)))
        flat = response.flatten(2)
        grams.append(flat @ flat.transpose(1, 2) / flat.shape[-1])
    return grams


@dataclass(frozen=True)
class TextureTarget:
    """The reference's statistics at the training size: Gram matrices, colours and band shares."""

    grams: list[torch.Tensor]  # per level, [F, F]
    colours: torch.Tensor  # [M, 3] in [0, 1]
    bands: torch.Tensor  # octave-band shares, sums to 1
    description: dict

    @classmethod
    def from_image(cls, reference: torch.Tensor, size: int, source: str, seed: int = 0) -> TextureTarget:
        """Statistics of a [3, H, W] picture's centre square seen at `size` x `size`."""
        picture = square(reference, size).clamp(0, 1)
        generator = torch.Generator().manual_seed(seed)
        pixels = statistics.frame_colours(picture)
        picks = torch.randint(0, pixels.shape[0], (PALETTE_SAMPLES,), generator=generator)
        bands = statistics.band_energy(picture)[0]
        grams = [gram[0] for gram in gram_matrices(picture, filter_bank())]
        return cls(grams, pixels[picks], bands, {
            "target": "texture", "image": source, "reference_size": size,
            "bands": [round(float(b), 6) for b in bands],
            "band_edges_cycles": list(statistics.BAND_EDGES)})


class TextureGuide:
    """Per frame: normalised Gram-matrix distance to the reference at every pyramid level, plus
    the sliced Wasserstein colour distance and the octave-band share error. The audio-contrast
    hinge lives in the training loop (Recipe.responsive), as for every guide."""

    def __init__(self, target: TextureTarget, method: str = "image-texture", colour_weight: float = 1.0,
                 band_weight: float = 0.3):
        self.target, self.method = target, method
        self.colour_weight, self.band_weight = colour_weight, band_weight
        self._banks = filter_bank()
        self._palette = StatisticsGuide(target, method, band_weight)
        self._score_directions = statistics.projections(SCORE_DIRECTIONS, torch.Generator().manual_seed(0))

    def initialise(self, model) -> None:
        """Start on the reference's colours (the statistics guide's colour transfer)."""
        self._palette.initialise(model)

    def texture_distance(self, frames: torch.Tensor) -> torch.Tensor:
        """Mean over levels of ||G(frame) - G(reference)||^2 / ||G(reference)||^2, mean over frames."""
        terms = []
        for gram, wanted in zip(gram_matrices(frames, self._banks), self.target.grams, strict=False):
            wanted = wanted.to(gram.device, gram.dtype)
            terms.append((gram - wanted).square().sum(dim=(1, 2)) / wanted.square().sum())
        return torch.stack(terms).mean()

    def _terms(self, frames: torch.Tensor, directions: torch.Tensor, order: int):
        colour, band_error = self._palette._terms(frames, directions, order)
        return self.texture_distance(frames), colour, band_error

    def loss(self, frames: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, float]:
        """(loss, texture match) for [B, 3, H, W] frames."""
        texture, squared, band_error = self._terms(frames, statistics.projections(STEP_DIRECTIONS, generator), 2)
        colour = torch.sqrt(squared + 1e-12)
        total = texture + self.colour_weight * colour + self.band_weight * band_error
        return total, 1.0 / (1.0 + float(texture.detach()))

    @torch.no_grad()
    def score(self, frames: torch.Tensor) -> float:
        """Texture match: 1 / (1 + the normalised Gram distance) over whole frames."""
        return 1.0 / (1.0 + float(self.texture_distance(frames)))

    def table(self) -> dict:
        return {
            **self.target.description,
            "colour_weight": self.colour_weight,
            "band_weight": self.band_weight,
            "filters": f"{LEVELS} pyramid levels x {FILTERS} random {KERNEL}x{KERNEL} filters, seed {FILTER_SEED}",
            "initialisation": "output layer mapped onto the reference colours (Monge-Kantorovich "
                              "transfer of mean and covariance in logit space)",
            "objective": (
                "per frame: mean over pyramid levels of the normalised squared distance between Gram "
                "matrices of ReLU responses of fixed random filters (Ustyuzhaninov et al. 2016) + "
                "colour_weight x sliced Wasserstein-2 colour distance + band_weight x L1 error of "
                "octave-band shares; no model weights"),
            "score_measures": "texture match: 1 / (1 + normalised Gram distance), whole frames at "
                              "8 fixed conditioning states",
        }
