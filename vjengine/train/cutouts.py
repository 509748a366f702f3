"""Differentiable random cutouts with augmentation: what CLIP sees of a batch of frames."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torchvision.transforms.v2 import functional as TF


@dataclass(frozen=True)
class CutoutSpec:
    """How many cutouts per frame and how they are drawn.

    The first cutout of each frame is the whole frame; the others are squares whose side is
    `min_fraction`..1 of the frame (biased small by `power`), flipped at random, turned by up
    to `max_degrees` (zoomed just enough to keep the corners filled) and given a little noise.
    """

    count: int = 8
    min_fraction: float = 0.25
    power: float = 1.0
    max_degrees: float = 8.0
    noise: float = 0.05

    def table(self) -> dict:
        return {"count": self.count, "min_fraction": self.min_fraction, "power": self.power,
                "max_degrees": self.max_degrees, "noise": self.noise}


def _uniform(generator: torch.Generator, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo + (hi - lo) * float(torch.rand((), generator=generator))


def make_cutouts(frames: torch.Tensor, size: int, spec: CutoutSpec,
                 generator: torch.Generator) -> torch.Tensor:
    """[B, 3, H, W] frames in [0, 1] -> [B * spec.count, 3, size, size], gradients intact.

    Every step is a tensor operation (antialiased resize, flip, affine resampling); nothing
    goes through PIL or uint8, so CLIP's gradient reaches the frames.
    """
    batch, _, height, width = frames.shape
    short = min(height, width)
    cuts = []
    for frame in frames:
        for index in range(spec.count):
            if index == 0:
                cuts.append(TF.resize(frame, [size, size], antialias=True))
                continue
            fraction = spec.min_fraction + (1 - spec.min_fraction) * _uniform(generator) ** spec.power
            side = max(1, round(fraction * short))
            top = int(torch.randint(0, height - side + 1, (), generator=generator))
            left = int(torch.randint(0, width - side + 1, (), generator=generator))
            cut = TF.resized_crop(frame, top, left, side, side, [size, size], antialias=True)
            if _uniform(generator) < 0.5:
                cut = TF.horizontal_flip(cut)
            degrees = _uniform(generator, -spec.max_degrees, spec.max_degrees)
            if degrees:
                angle = math.radians(abs(degrees))
                cut = TF.affine(cut, angle=degrees, translate=[0, 0],
                                scale=math.cos(angle) + math.sin(angle), shear=[0.0, 0.0],
                                interpolation=TF.InterpolationMode.BILINEAR)
            cuts.append(cut)
    stacked = torch.stack(cuts)
    if spec.noise > 0:
        sigma = spec.noise * torch.rand(batch * spec.count, 1, 1, 1, generator=generator)
        stacked = stacked + sigma.to(stacked.device) * torch.randn(
            stacked.shape, generator=generator).to(stacked.device)
    return stacked.clamp(0, 1)
