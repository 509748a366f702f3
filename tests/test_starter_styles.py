"""The shipped styles: they load, say how they were made, differ and answer to audio."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from vjengine.model import conditioning, coords
from vjengine.modulate import FrameInputs, PostParams
from vjengine.render.evaluate import ReferenceBackend
from vjengine.styles.store import PREVIEW_FILE, Style, list_styles
from vjengine.train import sheet
from vjengine.train.outputs import strip_states
from vjengine.train.procedural import make_reference
from vjengine.train.stats_guide import StatisticsGuide, StatisticsTarget
from vjengine.train.texture_guide import TextureGuide, TextureTarget

STYLES = Path(__file__).resolve().parents[1] / "styles"
SIZE = 64


@pytest.fixture(scope="module")
def starters() -> list[Style]:
    entries = list_styles(STYLES)
    errors = [entry for entry in entries if not isinstance(entry, Style)]
    assert not errors, errors
    return entries


@pytest.fixture(scope="module")
def pictures(starters) -> dict[str, list[np.ndarray]]:
    """Each style through the engine's reference backend at the 8 fixed conditioning states."""
    backend = ReferenceBackend()
    result = {}
    for style in starters:
        model = backend.prepare(style)
        result[style.slug] = [render(backend, model, state) for state in conditioning.fixed_states(8)]
    return result


def render(backend: ReferenceBackend, model, state: torch.Tensor) -> np.ndarray:
    frame = FrameInputs(0.0, tuple(state.tolist()), coords.IDENTITY, 0.0, PostParams())
    return backend.evaluate([model], SIZE, SIZE, frame)[0]


FAMILIES = {"geometric", "tunnel", "cellular", "liquid", "glitch", "cosmic", "minimal", "pastel"}


def guide_for(style: Style) -> StatisticsGuide | TextureGuide:
    """The guide the style was trained with, rebuilt from what its style.toml records."""
    train = style.meta["train"]
    if style.meta["method"] == "procedural-texture":
        reference = make_reference(train["pattern"], train["stops"], train["pattern_size"],
                                   train["pattern_seed"])
        target = TextureTarget.from_image(reference, train["reference_size"], train["image"],
                                          seed=train["seed"])
        return TextureGuide(target, style.meta["method"], train["colour_weight"], train["band_weight"])
    target = StatisticsTarget.from_palette(train["palette"], train["bands"], train["spread"], seed=train["seed"])
    return StatisticsGuide(target, style.meta["method"], band_weight=train["band_weight"])


def test_twenty_styles_in_every_family_load_with_their_recipe_recorded(starters):
    assert len(starters) >= 20
    assert {style.meta["family"] for style in starters} == FAMILIES
    for style in starters:
        meta, train = style.meta, style.meta["train"]
        assert meta["method"] in ("palette-statistics", "procedural-texture") and meta["description"]
        assert train["made_by"].startswith("tools/make_")
        assert len(train["bands"]) == 5
        for key in ("seed", "steps", "steps_done", "lr", "coord_scale", "objective", "score_measures"):
            assert key in train, (style.slug, key)
        with Image.open(STYLES / style.slug / PREVIEW_FILE) as preview:
            assert preview.size[0] >= 256 and preview.mode == "RGB"


def test_recorded_scores_equal_a_recomputation(starters):
    for style in starters:
        size = style.meta["train"]["score_size"]
        with torch.no_grad():
            rgb = style.model()(coords.grid(size, size), conditioning.fixed_states(8))
        frames = rgb.reshape(8, size, size, 3).permute(0, 3, 1, 2)
        assert guide_for(style).score(frames) == pytest.approx(style.meta["score"], abs=1e-4), style.slug


def test_no_two_styles_look_alike(pictures):
    descriptors = {slug: sheet.descriptor(frames) for slug, frames in pictures.items()}
    for a, b in itertools.combinations(descriptors, 2):
        assert sheet.descriptor_distance(descriptors[a], descriptors[b]) > 0.3, (a, b)


def test_starter_styles_change_with_the_conditioning_state(pictures):
    for slug, frames in pictures.items():
        differences = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in itertools.combinations(frames, 2)]
        assert min(differences) > 8, (slug, min(differences))


def test_bass_onset_and_beat_phase_each_visibly_change_the_picture(starters):
    backend = ReferenceBackend()
    (_, rest), *others = strip_states()
    for style in starters:
        model = backend.prepare(style)
        still = render(backend, model, rest).astype(int)
        for label, state in others:
            change = np.abs(render(backend, model, state).astype(int) - still).mean()
            assert change > 6, (style.slug, label, change)


def test_every_audio_state_stays_on_its_palette(starters):
    backend = ReferenceBackend()
    for style in starters:
        if style.meta["method"] != "palette-statistics":
            continue
        guide, model = guide_for(style), backend.prepare(style)
        for state in conditioning.sample(6, torch.Generator().manual_seed(5)):
            frame = torch.from_numpy(render(backend, model, state)).permute(2, 0, 1)[None] / 255.0
            assert guide.score(frame) > 0.85, style.slug
