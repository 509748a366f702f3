#!/usr/bin/env python3
"""Make the starter styles in styles/ without downloading anything: palette-statistics training.

Each style below is a recipe given as data: a colour palette (hex colour -> share of the
picture), how the picture's colour variance should spread over octave bands of spatial
frequency (1-2, 2-4, 4-8, 8-16, 16-32 cycles per frame), and the CPPN's initial shape
(`coord_scale` on x, y, r: equal gives textures, r-heavy gives rings, y-heavy gives bands).
The engine's own CPPN starts from that shape with its output layer mapped onto the palette
(a linear colour transfer in logit space), then Adam trains it toward the statistics
(sliced Wasserstein-2 to the palette and octave-band shares, per frame) over freshly sampled
conditioning states and window positions, plus a hinge that keeps different audio states at
least `contrast_target` apart, so bass, onsets and beat phase visibly change the picture while
it stays on its palette. Everything is seeded: the same command gives the same weights on the
same machine and library versions.

    python tools/make_starter_styles.py                 # all styles into styles/
    python tools/make_starter_styles.py --only neon-rings --out /tmp/styles
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vjengine.train.job import write_style
from vjengine.train.loop import Trainer
from vjengine.train.prompts import PromptSet
from vjengine.train.recipe import Recipe
from vjengine.train.stats_guide import StatisticsGuide, StatisticsTarget

METHOD = "palette-statistics"


@dataclass(frozen=True)
class Starter:
    """One starter style: its look as statistics targets plus the training recipe."""

    title: str
    description: str
    palette: dict[str, float]
    bands: tuple[float, ...]
    spread: float
    recipe: Recipe
    band_weight: float = 0.3
    extra: dict = field(default_factory=dict)


def _recipe(seed: int, coord_scale: tuple[float, float, float], contrast_target: float,
            steps: int = 150) -> Recipe:
    return Recipe(steps=steps, sizes=(64,), lr=2e-3, states=3, seed=seed, coord_scale=coord_scale,
                  responsive=1.0, contrast_target=contrast_target, pan=0.78, warmup=20)


STARTERS: dict[str, Starter] = {
    "neon-rings": Starter(
        "Neon Rings", "neon pink and electric blue rings on near-black: a geometric tunnel",
        {"#ff2bd6": 0.3, "#1f6bff": 0.3, "#00e5ff": 0.08, "#05021a": 0.32},
        (0.3, 0.3, 0.2, 0.12, 0.08), 0.03, _recipe(0, (0.5, 0.5, 3.0), 0.12)),
    "red-glitch": Starter(
        "Red Glitch", "hard red and black horizontal bars with white tears",
        {"#000000": 0.5, "#ff0000": 0.35, "#ffffff": 0.08, "#600000": 0.07},
        (0.2, 0.3, 0.25, 0.15, 0.1), 0.02, _recipe(0, (0.3, 3.0, 0.0), 0.15)),
    "pastel-wash": Starter(
        "Pastel Wash", "soft pastel pink, sky, mint, cream and lavender washes",
        {"#ff9ec7": 0.22, "#8fc8ff": 0.22, "#9ff0c0": 0.2, "#ffe28a": 0.18, "#c2a8ff": 0.18},
        (0.5, 0.3, 0.12, 0.05, 0.03), 0.04, _recipe(0, (1.2, 1.2, 0.8), 0.06)),
}


def make(slug: str, starter: Starter, out: Path, family: str = "") -> float:
    """Train one starter style and write styles/<slug>/; returns its score."""
    target = StatisticsTarget.from_palette(starter.palette, list(starter.bands), starter.spread,
                                           seed=starter.recipe.seed)
    guide = StatisticsGuide(target, method=METHOD, band_weight=starter.band_weight)
    trainer = Trainer(guide, starter.recipe)
    started = time.perf_counter()
    trainer.run()
    summary = write_style(trainer, out, slug, starter.title, PromptSet(),
                          time.perf_counter() - started, {"made_by": "tools/make_starter_styles.py"},
                          description=starter.description, family=family)
    return summary.score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("styles"), help="styles folder (default styles)")
    parser.add_argument("--only", nargs="+", choices=sorted(STARTERS), help="make only these styles")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for slug in args.only or STARTERS:
        started = time.perf_counter()
        score = make(slug, STARTERS[slug], args.out)
        print(f"{slug}: score {score:.4f} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
