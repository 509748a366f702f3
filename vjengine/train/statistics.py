"""Differentiable picture statistics: colour distributions, spatial-frequency bands, state contrast."""

from __future__ import annotations

import itertools

import torch

LUMA = (0.2126, 0.7152, 0.0722)
# Octave bands of spatial frequency in cycles per frame side: [1, 2), [2, 4) ... [16, 32).
BAND_EDGES = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
MIN_SIZE = 2 * int(BAND_EDGES[-1])  # a frame must resolve the highest band
HISTOGRAM_BINS = 8


def luminance(frames: torch.Tensor) -> torch.Tensor:
    """[B, 3, H, W] RGB -> [B, H, W] Rec. 709 luma."""
    weights = torch.tensor(LUMA, dtype=frames.dtype, device=frames.device)
    return torch.einsum("bchw,c->bhw", frames, weights)


def band_energy(frames: torch.Tensor) -> torch.Tensor:
    """Share of colour variance (R, G and B together) in each octave band of BAND_EDGES:
    [B, len(BAND_EDGES) - 1].

    Rows sum to 1 (over the bands); low shares at the top bands mean soft pictures, high
    shares mean fine detail and crisp edges, between colours of equal brightness too.
    Frames must be square and at least MIN_SIZE.
    """
    _, _, height, width = frames.shape
    if height != width or height < MIN_SIZE:
        raise ValueError(f"band_energy needs square frames of at least {MIN_SIZE}, got {width}x{height}")
    centred = frames - frames.mean(dim=(2, 3), keepdim=True)
    power = torch.fft.rfft2(centred, norm="ortho").abs().square().sum(dim=1)
    fy = torch.fft.fftfreq(height, device=frames.device) * height
    fx = torch.fft.rfftfreq(width, device=frames.device) * width
    radius = torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
    edges = BAND_EDGES
    masks = torch.stack([(radius >= lo) & (radius < hi) for lo, hi in itertools.pairwise(edges)])
    energy = torch.einsum("bhw,khw->bk", power, masks.to(power.dtype))
    return energy / (energy.sum(dim=1, keepdim=True) + 1e-12)


def projections(count: int, generator: torch.Generator) -> torch.Tensor:
    """[3, count] random unit directions in colour space for sliced distances."""
    directions = torch.randn(3, count, generator=generator)
    return directions / directions.norm(dim=0, keepdim=True)


def sliced_wasserstein(colours: torch.Tensor, target: torch.Tensor,
                       directions: torch.Tensor, order: int = 1) -> torch.Tensor:
    """Sliced Wasserstein distance between two colour sets [N, 3] and [M, 3]: order 1 gives the
    mean distance in RGB units, order 2 its squared form (whose gradient moves each colour in
    proportion to how far it must go).

    Each set is projected on the directions and sorted; the target's sorted projections are
    read at the colours' quantiles, so N and M may differ. Differentiable in `colours`.
    """
    directions = directions.to(colours.device, colours.dtype)
    mine = torch.sort(colours @ directions, dim=0).values
    theirs = torch.sort(target.to(colours.device, colours.dtype) @ directions, dim=0).values
    if theirs.shape[0] != mine.shape[0]:
        quantile = (torch.arange(mine.shape[0], device=colours.device) + 0.5) / mine.shape[0]
        theirs = theirs[(quantile * theirs.shape[0]).long().clamp(max=theirs.shape[0] - 1)]
    return (mine - theirs).abs().pow(order).mean()


def frame_colours(frames: torch.Tensor) -> torch.Tensor:
    """[B, 3, H, W] -> [B * H * W, 3]: every pixel's colour."""
    return frames.permute(0, 2, 3, 1).reshape(-1, 3)


def _sqrtm(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return vectors @ torch.diag(values.clamp(min=0).sqrt()) @ vectors.T


def gaussian_transfer(source: torch.Tensor, target: torch.Tensor, ridge: float = 1e-6) -> torch.Tensor:
    """The linear map A ([3, 3]) of the Monge-Kantorovich colour transfer: A (x - mean_source)
    + mean_target gives points [N, 3] distributed like `source` the mean and covariance of
    `target`, moving them as little as possible."""
    eye = torch.eye(source.shape[1], dtype=source.dtype)
    cov_source = torch.cov(source.T) + ridge * eye
    cov_target = torch.cov(target.T) + ridge * eye
    root = _sqrtm(cov_source)
    inverse_root = torch.linalg.inv(root)
    return inverse_root @ _sqrtm(root @ cov_target @ root) @ inverse_root


def state_contrast(frames: torch.Tensor) -> torch.Tensor:
    """Mean absolute pixel difference over all pairs of frames: how much the states differ."""
    pairs = list(itertools.combinations(range(frames.shape[0]), 2))
    if not pairs:
        return frames.new_zeros(())
    return torch.stack([(frames[i] - frames[j]).abs().mean() for i, j in pairs]).mean()


def colour_histogram(frames: torch.Tensor, bins: int = HISTOGRAM_BINS) -> torch.Tensor:
    """Normalised 3-D RGB histogram of all pixels ([bins ** 3], sums to 1); for measurement."""
    index = (frames_to_unit(frames) * bins).long().clamp(0, bins - 1)
    flat = (index[:, 0] * bins + index[:, 1]) * bins + index[:, 2]
    counts = torch.bincount(flat, minlength=bins ** 3).to(torch.float64)
    return counts / counts.sum()


def frames_to_unit(frames: torch.Tensor) -> torch.Tensor:
    """Pixels of [B, 3, H, W] (or [H, W, 3] uint8) as [N, 3] floats in [0, 1]."""
    if frames.dtype == torch.uint8:
        return frames.reshape(-1, 3).to(torch.float64) / 255.0
    return frame_colours(frames.detach()).to(torch.float64)


def histogram_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Total-variation distance between two normalised histograms: 0 same, 1 disjoint."""
    return float(0.5 * (a - b).abs().sum())
