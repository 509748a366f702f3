"""The optimisation loop: render sampled conditioning states, apply the guide, step Adam."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

from vjengine.model import conditioning, coords
from vjengine.model.cppn import COORD_SIZE, CPPN
from vjengine.train.recipe import Recipe
from vjengine.train.statistics import state_contrast

log = logging.getLogger(__name__)
SCORE_STATES = 8


class Guide(Protocol):
    """What a training run optimises toward (CLIP prompts, or picture statistics)."""

    method: str

    def initialise(self, model: CPPN) -> None:
        """Adjust a freshly initialised CPPN before training (e.g. start on the target colours)."""

    def loss(self, frames: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, float]:
        """(differentiable loss, similarity for the progress bar) for [B, 3, H, W] frames."""

    def score(self, frames: torch.Tensor) -> float:
        """The style's score from whole frames at the fixed conditioning states."""

    def table(self) -> dict:
        """A description for style.toml."""


@dataclass(frozen=True)
class StepReport:
    """What one step did; `step` counts the steps done so far."""

    step: int
    steps: int
    size: int
    loss: float
    similarity: float
    contrast: float


def init_cppn(recipe: Recipe) -> CPPN:
    """The engine's CPPN, seeded, with layer 1's x, y, r weights scaled by recipe.coord_scale and
    the output layer's by recipe.out_scale."""
    model = CPPN(recipe.cppn_config(), seed=recipe.seed)
    with torch.no_grad():
        model.hidden[0].weight[:, :COORD_SIZE] *= torch.tensor(recipe.coord_scale)
        model.out.weight *= recipe.out_scale
    return model


def render(model: CPPN, states: torch.Tensor, size: int,
           transform: coords.CoordinateTransform = coords.IDENTITY) -> torch.Tensor:
    """[B, 3, size, size] frames in [0, 1] for B conditioning states, through the engine's own
    coordinates and split layer 1 (per-pixel term + per-frame bias), differentiable in the weights."""
    device = next(model.parameters()).device
    grid = coords.grid(size, size, transform).to(device)
    rgb = model.forward_split(model.pixel_term(grid), model.frame_bias(states.to(device)))
    return rgb.reshape(states.shape[0], size, size, 3).permute(0, 3, 1, 2)


class Trainer:
    """One training run: the CPPN, Adam, the random stream and the loss history."""

    def __init__(self, guide: Guide, recipe: Recipe, device: torch.device | str = "cpu"):
        self.guide, self.recipe = guide, recipe
        self.model = init_cppn(recipe).to(device)
        guide.initialise(self.model)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=recipe.lr)
        self.generator = torch.Generator().manual_seed(recipe.seed)
        self.step = 0
        self.history: dict[str, list[float]] = {"loss": [], "similarity": []}

    def train_step(self) -> StepReport:
        """One Adam step on freshly sampled conditioning states at the scheduled size."""
        size = self.recipe.size_at(self.step)
        states = conditioning.sample(self.recipe.states, self.generator)
        pan_x, pan_y = (self.recipe.pan * (2 * torch.rand(2, generator=self.generator) - 1)).tolist()
        frames = render(self.model, states, size, coords.CoordinateTransform(pan_x=pan_x, pan_y=pan_y))
        loss, similarity = self.guide.loss(frames, self.generator)
        contrast = state_contrast(frames)
        total = loss
        if self.recipe.responsive > 0:
            total = total + self.recipe.responsive * torch.relu(self.recipe.contrast_target - contrast)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        for group in self.optimizer.param_groups:
            group["lr"] = self.recipe.lr_at(self.step)
        self.optimizer.step()
        self.step += 1
        self.history["loss"].append(float(total.detach()))
        self.history["similarity"].append(similarity)
        return StepReport(self.step, self.recipe.steps, size, self.history["loss"][-1], similarity,
                          float(contrast.detach()))

    def run(self, on_step: Callable[[StepReport], None] | None = None,
            on_checkpoint: Callable[[Trainer], None] | None = None,
            checkpoint_every: int = 50) -> None:
        """Train until recipe.steps, reporting each step and checkpointing every few steps."""
        while self.step < self.recipe.steps:
            report = self.train_step()
            if on_step is not None:
                on_step(report)
            if on_checkpoint is not None and (self.step % checkpoint_every == 0
                                              or self.step == self.recipe.steps):
                on_checkpoint(self)

    @torch.no_grad()
    def fixed_frames(self, size: int | None = None) -> torch.Tensor:
        """Whole frames at the SCORE_STATES fixed conditioning states (default: the last size)."""
        states = conditioning.fixed_states(SCORE_STATES)
        return render(self.model, states, size or self.recipe.sizes[-1])

    def score(self) -> float:
        return self.guide.score(self.fixed_frames())
