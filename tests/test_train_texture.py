"""The weight-free texture guide, the procedural references it trains on, --image without CLIP, --device."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vjengine.errors import InputError
from vjengine.styles.store import load_style
from vjengine.train import procedural
from vjengine.train.job import pick_device
from vjengine.train.loop import Trainer
from vjengine.train.recipe import Recipe
from vjengine.train.texture_guide import TextureGuide, TextureTarget, filter_bank, gram_matrices

ROOT = Path(__file__).resolve().parents[1]
STOPS = ["#000000", "#ff2bd6", "#ffffff"]


@pytest.mark.unit
@pytest.mark.parametrize("pattern", sorted(procedural.FIELDS))
def test_procedural_references_are_seeded_and_have_strong_contrast(pattern):
    first = procedural.make_reference(pattern, STOPS, size=64, seed=3)
    again = procedural.make_reference(pattern, STOPS, size=64, seed=3)
    assert first.shape == (3, 64, 64) and torch.equal(first, again)
    assert 0 <= float(first.min()) and float(first.max()) <= 1
    assert float(first.mean(dim=0).std()) > 0.1, pattern


@pytest.mark.unit
def test_unknown_pattern_is_an_input_error():
    with pytest.raises(InputError, match="pattern 'waves'"):
        procedural.make_reference("waves", STOPS)


@pytest.mark.unit
def test_gram_matrices_tell_stripes_from_spots_whatever_their_position():
    stripes = procedural.make_reference("stripes", STOPS, 64)[None]
    spots = procedural.make_reference("spots", STOPS, 64)[None]
    banks = filter_bank()
    shifted = torch.roll(stripes, shifts=(7, 11), dims=(2, 3))

    def distance(a, b):
        return sum(float((x - y).square().sum() / y.square().sum())
                   for x, y in zip(gram_matrices(a, banks), gram_matrices(b, banks), strict=True))

    assert distance(shifted, stripes) < 0.2 * distance(spots, stripes)


def test_texture_guide_loss_drops_on_a_procedural_reference():
    reference = procedural.make_reference("labyrinth", STOPS, 128, seed=0)
    guide = TextureGuide(TextureTarget.from_image(reference, 64, "procedural:labyrinth"))
    recipe = Recipe(steps=40, sizes=(64,), lr=2e-3, states=2, seed=1, warmup=10,
                    coord_scale=(2.0, 2.0, 1.0), responsive=1.0, contrast_target=0.05, pan=0.78)
    trainer = Trainer(guide, recipe)
    start_texture = float(guide.texture_distance(trainer.fixed_frames(64)))
    trainer.run()
    end_texture = float(guide.texture_distance(trainer.fixed_frames(64)))
    assert end_texture < 0.95 * start_texture, (start_texture, end_texture)
    first, last = np.mean(trainer.history["loss"][:10]), np.mean(trainer.history["loss"][-10:])
    assert last < 0.98 * first, (first, last)


def test_image_without_clip_weights_writes_a_valid_texture_style(tmp_path):
    picture = (procedural.make_reference("voronoi", ["#001020", "#00e5ff", "#ffffff"], 96)
               .permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(picture).save(tmp_path / "photo.png")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1",
           "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "vjengine", "train", "--image", str(tmp_path / "photo.png"), "--name",
         "cells", "--steps", "12", "--sizes", "64", "--width", "16", "--depth", "2", "--no-progress",
         "--out", str(tmp_path / "styles")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "texture guide" in done.stderr and "training on cpu" in done.stderr
    style = load_style(tmp_path / "styles" / "cells")
    assert style.meta["method"] == "image-texture" and style.meta["train"]["target"] == "texture"
    assert style.meta["train"]["image"] == str(tmp_path / "photo.png")
    with torch.no_grad():
        assert torch.isfinite(style.model()(torch.zeros(4, 3), torch.zeros(4, 9))).all()


@pytest.mark.unit
def test_device_auto_takes_cuda_then_mps_then_cpu():
    mps = getattr(torch.backends, "mps", None)
    expected = ("cuda" if torch.cuda.is_available()
                else "mps" if mps is not None and mps.is_available() else "cpu")
    assert pick_device("auto").type == expected
    with pytest.raises(InputError, match="--device 'tpu'"):
        pick_device("tpu")
