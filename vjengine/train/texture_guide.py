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
from vjengine.train.stats_guide import PALETTE_SAMPLES, STEP_DIRECTIONS, StatisticsGuide

FILTER_SEED = 20160520
FILTERS = 48
KERNEL = 5
LEVELS = 4  # octaves: the frame, then halved three times
MIN_LEVEL_SIZE = 8
CONTRAST_WEIGHT = 2.0


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
    contrast: float  # standard deviation of the reference's luma
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
        contrast = float(statistics.luminance(picture).std())
        return cls(grams, pixels[picks], bands, contrast, {
            "target": "texture", "image": source, "reference_size": size,
            "reference_contrast": round(contrast, 6),
            "bands": [round(float(b), 6) for b in bands],
            "band_edges_cycles": list(statistics.BAND_EDGES)})


class TextureGuide:
    """Per frame: relative Gram-matrix distance to the reference over the pyramid levels, plus the
    sliced Wasserstein colour distance, the octave-band share error and a floor on contrast. The
    audio-contrast hinge lives in the training loop (Recipe.responsive), as for every guide."""

    def __init__(self, target: TextureTarget, method: str = "image-texture", colour_weight: float = 1.0,
                 band_weight: float = 0.3):
        self.target, self.method = target, method
        self.colour_weight, self.band_weight = colour_weight, band_weight
        self._banks = filter_bank()
        self._palette = StatisticsGuide(target, method, band_weight)

    def initialise(self, model) -> None:
        """Start on the reference's colours (the statistics guide's colour transfer)."""
        self._palette.initialise(model)

    def texture_distance(self, frames: torch.Tensor) -> torch.Tensor:
        """Sum over levels of ||G(frame) - G(reference)|| over the sum of ||G(reference)||
        (Frobenius norms), mean over frames: 0 a perfect match, 1 a flat frame.

        One scale for all levels, so the coarse octaves (whose Gram matrices are small) cannot
        outweigh the fine ones and make a flat picture the quickest way down."""
        errors, scale = [], 0.0
        for gram, wanted in zip(gram_matrices(frames, self._banks), self.target.grams, strict=False):
            wanted = wanted.to(gram.device, gram.dtype)
            errors.append(torch.sqrt((gram - wanted).square().sum(dim=(1, 2)) + 1e-12))
            scale = scale + wanted.norm()
        return (torch.stack(errors).sum(dim=0) / scale).mean()

    def contrast_shortfall(self, frames: torch.Tensor) -> torch.Tensor:
        """Mean over frames of how far each frame's luma standard deviation falls short of the
        reference's (0 when at least as contrasty)."""
        spread = statistics.luminance(frames).flatten(1).std(dim=1)
        return torch.relu(self.target.contrast - spread).mean()

    def loss(self, frames: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, float]:
        """(loss, texture match) for [B, 3, H, W] frames."""
        directions = statistics.projections(STEP_DIRECTIONS, generator)
        squared, band_error = self._palette._terms(frames, directions, 2)
        texture = self.texture_distance(frames)
        total = (texture + self.colour_weight * torch.sqrt(squared + 1e-12) + self.band_weight * band_error
                 + CONTRAST_WEIGHT * self.contrast_shortfall(frames))
        return total, 1.0 / (1.0 + float(texture.detach()))

    @torch.no_grad()
    def score(self, frames: torch.Tensor) -> float:
        """Texture match: 1 / (1 + the relative Gram distance) over whole frames."""
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
                "per frame: Frobenius distance between Gram matrices of ReLU responses of fixed "
                "random filters (Ustyuzhaninov et al. 2016), summed over pyramid levels, relative to "
                "the reference's + "
                "colour_weight x sliced Wasserstein-2 colour distance + band_weight x L1 error of "
                "octave-band shares + "
                f"{CONTRAST_WEIGHT} x shortfall of luma standard deviation below the reference's; "
                "no model weights"),
            "score_measures": "texture match: 1 / (1 + relative Gram distance), whole frames at "
                              "8 fixed conditioning states",
        }
