"""CLIP guidance: text and image targets, the per-step loss on cutouts, and the full-frame score."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vjengine.train.clip_model import LoadedClip
from vjengine.train.cutouts import CutoutSpec, make_cutouts
from vjengine.train.prompts import PromptSet
from vjengine.train.reference import square

SCORE_RESIZE = "bilinear, antialiased"


class ClipGuide:
    """Pulls frames toward weighted text (and optionally image) embeddings, away from negatives.

    Weights are normalised by the sum of the positive ones, so the loss is minus the weighted
    mean similarity to the positive targets plus the weighted similarity to the negatives.
    """

    method = "clip"

    def __init__(self, clip: LoadedClip, prompts: PromptSet, cutouts: CutoutSpec | None = None,
                 image: torch.Tensor | None = None, image_weight: float = 1.0):
        if not prompts.positive and image is None:
            raise ValueError("CLIP guidance needs a positive prompt or an image")
        self.clip, self.prompts, self.cutouts = clip, prompts, cutouts or CutoutSpec()
        self.image_weight = image_weight if image is not None else 0.0
        targets, weights = [], []
        if prompts.positive or prompts.negative:
            texts = [p.text for p in prompts.positive + prompts.negative]
            targets.append(clip.encode_texts(texts))
            weights += [p.weight for p in prompts.positive] + [-p.weight for p in prompts.negative]
        if image is not None:
            with torch.no_grad():
                picture = square(image, clip.image_size).to(clip.device)
                targets.append(clip.encode_images(picture))
            weights.append(image_weight)
        self.targets = torch.cat(targets)
        weights = torch.tensor(weights, dtype=torch.float32, device=clip.device)
        positive = weights.clamp(min=0)
        self.weights = weights / positive.sum()
        self.positive = positive / positive.sum()

    def initialise(self, model) -> None:
        """CLIP training starts from the recipe's initialisation as it is."""

    def loss(self, frames: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, float]:
        """(loss, mean positive similarity) for [B, 3, H, W] frames, over random cutouts."""
        cuts = make_cutouts(frames, self.clip.image_size, self.cutouts, generator)
        similarity = (self.clip.encode_images(cuts) @ self.targets.T).mean(dim=0)
        return -(self.weights * similarity).sum(), float((self.positive * similarity.detach()).sum())

    @torch.no_grad()
    def score(self, frames: torch.Tensor) -> float:
        """Weighted mean cosine between each whole frame (resized to CLIP's input) and the
        positive targets, averaged over the frames."""
        size = self.clip.image_size
        resized = F.interpolate(frames, size=(size, size), mode="bilinear", antialias=True,
                                align_corners=False)
        similarity = (self.clip.encode_images(resized) @ self.targets.T).mean(dim=0)
        return float((self.positive * similarity).sum())

    def table(self) -> dict:
        """What the guide did, for style.toml."""
        return {
            "clip_model": self.clip.name,
            "pretrained": self.clip.pretrained,
            "clip_input": self.clip.image_size,
            "image_weight": self.image_weight,
            "cutouts": self.cutouts.table(),
            "score_measures": (
                "cosine similarity between CLIP's embedding of the whole frame (resized "
                f"{SCORE_RESIZE} to CLIP's input) and the positive targets' embeddings, "
                "weighted by prompt weight, mean over 8 fixed conditioning states"),
        }
