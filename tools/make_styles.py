#!/usr/bin/env python3
"""Make every shipped style in styles/ without downloading anything: texture-guided training on
seeded procedural references, plus the palette-statistics starters kept from
tools/make_starter_styles.py.

Each style below is data: a procedural pattern (vjengine/train/procedural.py) coloured by a
gradient of hex stops, and the CPPN's initial shape (`coord_scale` on x, y, r: equal gives
textures, r-heavy gives rings, y-heavy gives bars). The engine's own CPPN starts from that shape
with its output layer mapped onto the reference's colours, then Adam trains it toward the
reference's random-filter Gram matrices, colours and octave-band spectrum (the texture guide)
over freshly sampled conditioning states and window positions, plus the hinge that keeps
different audio states at least `contrast_target` apart. Everything is seeded: the same command
gives the same weights on the same machine and library versions.

    nice python tools/make_styles.py                        # every style into styles/
    nice python tools/make_styles.py --only coral-maze --out /tmp/styles
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from make_starter_styles import STARTERS
from make_starter_styles import make as make_starter

from vjengine.train.job import write_style
from vjengine.train.loop import Trainer
from vjengine.train.procedural import make_reference
from vjengine.train.prompts import PromptSet
from vjengine.train.recipe import Recipe
from vjengine.train.texture_guide import TextureGuide, TextureTarget

METHOD = "procedural-texture"
REFERENCE_SIZE = 256
TRAIN_SIZE = 64


@dataclass(frozen=True)
class Look:
    """One style: its family, the reference picture that defines it and the training recipe."""

    title: str
    family: str
    description: str
    pattern: str
    stops: tuple[str, ...]
    coord_scale: tuple[float, float, float] = (1.5, 1.5, 1.0)
    contrast_target: float = 0.1
    seed: int = 0
    steps: int = 100

    def recipe(self) -> Recipe:
        return Recipe(steps=self.steps, sizes=(TRAIN_SIZE,), lr=2e-3, states=3, seed=self.seed,
                      coord_scale=self.coord_scale, responsive=1.0,
                      contrast_target=self.contrast_target, pan=0.78, warmup=30)


LOOKS: dict[str, Look] = {
    # cellular
    "coral-maze": Look("Coral Maze", "cellular", "a lattice of glowing orange cells with bright walls, after a Gray-Scott labyrinth",
                       "labyrinth", ("#050000", "#a0100a", "#ff6a00", "#ffe0b0"), (2.0, 2.0, 1.0),
                       steps=200),
    "turing-spots": Look("Turing Spots", "cellular", "acid yellow worms and spots on black, after Gray-Scott spots",
                         "spots", ("#000000", "#303000", "#e8ff00", "#ffffff"), (2.5, 2.5, 1.0)),
    "cell-membrane": Look("Cell Membrane", "cellular", "murky teal and navy cell-like blobs with a few gold glints",
                          "voronoi", ("#001014", "#00707a", "#00e5d0", "#ffd34d"), (1.5, 1.5, 1.0)),
    # geometric
    "truchet-weave": Look("Truchet Weave", "geometric", "olive, grey and lilac camouflage texture, after Truchet tiles",
                          "truchet", ("#020a30", "#ff7a00", "#fff1c0"), (2.5, 2.5, 0.5)),
    "hypno-spiral": Look("Hypno Spiral", "geometric", "black, white and violet concentric rings, after a many-armed spiral",
                         "spiral", ("#000000", "#5b00c8", "#ffffff"), (0.8, 0.8, 3.0)),
    # tunnel / rings
    "warp-tunnel": Look("Warp Tunnel", "tunnel", "bold black and white concentric rings, a tunnel",
                        "tunnel", ("#000010", "#0040ff", "#9ad0ff", "#ffffff"), (0.8, 0.8, 4.0),
                        steps=150),
    "moire-rings": Look("Moire Rings", "tunnel", "crimson and pink rings around a bright centre, after a moire pattern",
                        "moire", ("#000000", "#ff0030", "#ffffff"), (0.8, 0.8, 4.0)),
    "kaleido-mandala": Look("Kaleido Mandala", "tunnel", "orange and gold rings with dark bands, after a twelve-fold mandala",
                            "mandala", ("#0a0005", "#900028", "#ff9a00", "#fff4a0"), (1.0, 1.0, 3.0)),
    # liquid / organic
    "acid-plasma": Look("Acid Plasma", "liquid", "soft plasma blobs in acid green, magenta and deep blue",
                        "plasma", ("#08003a", "#ff00a8", "#00ffa0", "#f8ff60"), (1.5, 1.5, 1.0)),
    "lava-veins": Look("Lava Veins", "liquid", "hot pink blobs through gold, after veined marble",
                       "marble", ("#1a0030", "#ff3070", "#ffd040"), (1.5, 1.5, 0.5)),
    # glitch / bars
    "data-tear": Look("Data Tear", "glitch", "white-hot cyan bars tearing across black",
                      "glitch-bars", ("#000000", "#00c8ff", "#ffffff"), (0.3, 3.5, 0.0), 0.15),
    # cosmic
    "violet-nebula": Look("Violet Nebula", "cosmic", "violet and pink gas clouds on black",
                          "nebula", ("#02000a", "#3d0a78", "#ff4fd8", "#ffffff"), (2.0, 2.0, 1.0)),
    "julia-trap": Look("Julia Trap", "cosmic", "cyan clouds on black, after a Julia-set orbit trap",
                       "orbit-trap", ("#000000", "#002850", "#00c8ff", "#ffffff"), (2.0, 2.0, 1.5)),
    # minimal / monochrome, strobe-friendly
    "mono-bars": Look("Mono Bars", "minimal", "hard black and white bars of two widths: strobe-friendly",
                      "scanlines", ("#000000", "#ffffff"), (0.2, 3.0, 0.0), 0.15),
    "zebra-op": Look("Zebra Op", "minimal", "black and white op-art zebra stripes",
                     "stripes", ("#000000", "#ffffff"), (2.0, 2.0, 0.0), 0.15),
    "pastel-cells": Look("Pastel Cells", "pastel", "lilac, mint and cream mottled cells",
                         "voronoi", ("#4a2c6e", "#c2a8ff", "#9ff0c0", "#ffe0c0"), (1.5, 1.5, 1.0), 0.08, 1),
    "dream-marble": Look("Dream Marble", "pastel", "pink and white marbled haze, for calm moments",
                         "marble", ("#6a8cff", "#ffffff", "#ff6fae"), (1.2, 1.2, 0.5), 0.15, 1),
}
KEPT_STARTERS = {"neon-rings": "tunnel", "red-glitch": "glitch", "pastel-wash": "pastel"}


def reference(look: Look):
    """The look's reference picture ([3, H, W] in [0, 1])."""
    return make_reference(look.pattern, list(look.stops), REFERENCE_SIZE, look.seed)


def make(slug: str, look: Look, out: Path) -> float:
    """Train one look and write styles/<slug>/ with its recipe and reference; returns its score."""
    source = f"procedural:{look.pattern}"
    target = TextureTarget.from_image(reference(look), TRAIN_SIZE, source, seed=look.seed)
    trainer = Trainer(TextureGuide(target, method=METHOD), look.recipe())
    started = time.perf_counter()
    trainer.run()
    extra = {"made_by": f"tools/make_styles.py --only {slug}", "pattern": look.pattern,
             "stops": list(look.stops), "pattern_seed": look.seed, "pattern_size": REFERENCE_SIZE}
    summary = write_style(trainer, out, slug, look.title, PromptSet(), time.perf_counter() - started,
                          extra, description=look.description, family=look.family)
    return summary.score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("styles"), help="styles folder (default styles)")
    parser.add_argument("--only", nargs="+", choices=sorted({*LOOKS, *KEPT_STARTERS}),
                        help="make only these styles")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)  # the machine is shared: one core, one training at a time
    for slug in args.only or [*LOOKS, *KEPT_STARTERS]:
        started = time.perf_counter()
        if slug in LOOKS:
            score = make(slug, LOOKS[slug], args.out)
        else:
            score = make_starter(slug, STARTERS[slug], args.out, family=KEPT_STARTERS[slug])
        print(f"{slug}: score {score:.4f} in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
