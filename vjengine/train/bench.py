"""Training-speed benchmark: seconds per CLIP-guided training step for a model and a size."""

from __future__ import annotations

import argparse
import json
import time

import torch

from vjengine.train.clip_guide import ClipGuide
from vjengine.train.clip_model import RANDOM_WEIGHTS, load_clip
from vjengine.train.cutouts import CutoutSpec
from vjengine.train.loop import Trainer
from vjengine.train.prompts import prompt_set
from vjengine.train.recipe import Recipe


def step_seconds(model: str = "RN50", size: int = 256, steps: int = 3, states: int = 2,
                 cutouts: int = 8, device: str = "cpu", untimed_steps: int = 1) -> float:
    """Mean wall seconds of one full training step (render, cutouts, CLIP, backward, Adam) at
    size x size, with CLIP's random weights (same cost as trained ones) and the default recipe."""
    clip = load_clip(model, RANDOM_WEIGHTS, device)
    guide = ClipGuide(clip, prompt_set("neon geometric pink and blue"), CutoutSpec(count=cutouts))
    trainer = Trainer(guide, Recipe(steps=untimed_steps + steps, sizes=(size,), states=states), device)
    for _ in range(untimed_steps):
        trainer.train_step()
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - started) / steps


def main(argv: list[str] | None = None) -> int:
    """`python -m vjengine.train.bench`: print {size: seconds per step} as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="RN50")
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    result = {"model": args.model, "device": args.device, "threads": torch.get_num_threads(),
              "seconds_per_step": {size: round(step_seconds(args.model, int(size), args.steps,
                                                            device=args.device), 3)
                                   for size in args.sizes.split(",")}}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
