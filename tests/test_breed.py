"""Breeding: children of a CPPN (noise per layer, crossover), lineage replay, breed mode's controls."""

import numpy as np
import pytest
import torch

from vjengine.audio.features import AudioFeatures
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.midimap import parse_action
from vjengine.control.presets import PresetError
from vjengine.control.state import ControlState
from vjengine.model.cppn import CPPN, CPPNConfig
from vjengine.render.evaluate import ReferenceBackend
from vjengine.render.frame import FrameRenderer, tile
from vjengine.show.breeding import Breeding
from vjengine.styles import breed
from vjengine.styles.store import load_style

CONFIG = CPPNConfig(width=8, depth=3)


def state(seed: int) -> dict[str, torch.Tensor]:
    return dict(CPPN(CONFIG, seed=seed).state_dict())


def same(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.unit
def test_the_centre_child_is_the_parent_and_the_others_are_seeded_mutants():
    parent = state(1)
    kids = breed.children(parent, None, 0.3, seed=7)
    assert len(kids) == 9 and same(kids[breed.CENTRE - 1], parent)
    mutants = [kid for i, kid in enumerate(kids) if i != breed.CENTRE - 1]
    assert all(not same(kid, parent) for kid in mutants)
    assert all(not same(a, b) for a, b in zip(mutants, mutants[1:]))
    assert all(same(a, b) for a, b in zip(kids, breed.children(parent, None, 0.3, seed=7)))
    assert not same(kids[0], breed.children(parent, None, 0.3, seed=8)[0])


@pytest.mark.unit
def test_noise_is_scaled_by_each_layers_own_std_times_the_strength():
    parent = {"a.weight": torch.randn(200, 200) * 0.1, "b.weight": torch.randn(200, 200) * 3.0}
    for strength in (0.1, 0.5):
        kid = breed.children(parent, None, strength, seed=3)[0]
        for key, weight in parent.items():
            ratio = float((kid[key] - weight).std()) / (strength * float(weight.std()))
            assert 0.95 < ratio < 1.05, (key, strength, ratio)
    assert all(same(kid, parent) for kid in breed.children(parent, None, 0.0, seed=3))


@pytest.mark.unit
def test_crossover_takes_whole_layers_from_the_mate():
    parent, mate = state(1), state(2)
    kids = breed.children(parent, mate, 0.0, seed=5)
    layers = {key.rsplit(".", 1)[0] for key in parent}
    from_mate = 0
    for kid in kids:
        for layer in layers:
            keys = [k for k in parent if k.rsplit(".", 1)[0] == layer]
            if all(torch.equal(kid[k], mate[k]) for k in keys):
                from_mate += 1
            else:
                assert all(torch.equal(kid[k], parent[k]) for k in keys)
    assert 0 < from_mate < 8 * len(layers)
    with pytest.raises(ValueError, match="mate"):
        breed.children(parent, dict(CPPN(CPPNConfig(width=4, depth=3)).state_dict()), 0.1, 0)
    with pytest.raises(ValueError, match="strength"):
        breed.children(parent, None, 3.0, 0)


@pytest.mark.unit
def test_breed_mode_picks_by_key_and_osc_and_saves_a_style_with_a_replayable_lineage(make_style, tmp_path):
    root_style = make_style("root", seed=4, config=CONFIG)
    mate_style = make_style("mate", seed=5, config=CONFIG)
    control = ControlState()
    loaded = {s.slug: s for s in (root_style, mate_style)}
    control.breeding = Breeding(ReferenceBackend(), loaded, tmp_path / "styles")
    for target, slug in ((events.STYLE_A, "root"), (events.STYLE_B, "mate")):
        control.handle(ControlEvent(target, slug))
        control.style_loaded(slug)
    control.update(0.0, AudioFeatures())
    assert control.decks.shown() == ("root", "mate")
    control.handle(ControlEvent(events.BREED_SAVE, "early"))  # nothing bred yet: counted, not raised
    assert control.counters.rejected == 1
    control.handle(ControlEvent(events.BREED, None, "key"))  # B toggles it on
    assert control.breeding.active and len(control.breeding.children) == 9
    control.handle(ControlEvent(events.SLOT, 3, "key"))  # key 3 picks while breeding
    control.handle(ControlEvent(events.BREED_STRENGTH, 0.5))
    control.handle(ControlEvent(events.BREED_PICK, 8, "osc"))
    control.handle(ControlEvent(events.BREED_SAVE, "bred"))
    control.handle(ControlEvent(events.BREED_SAVE, "root"))  # never over an existing style
    assert control.counters.rejected == 2
    assert same(load_style(tmp_path / "styles" / "root").weights, root_style.weights)
    saved = load_style(tmp_path / "styles" / "bred")
    table = saved.meta["breed"]
    assert table == {"parent": "root", "mate": "mate", "seed": breed.seed_of(root_style.content_hash),
                     "generation": 2, "strength": 0.5, "picks": [3, 8],
                     "strengths": [breed.DEFAULT_STRENGTH, 0.5]}
    assert saved.meta["method"] == "breed"
    lineage = breed.Lineage(table["parent"], table["seed"], table["mate"], table["picks"], table["strengths"])
    assert same(breed.replay(root_style.weights, mate_style.weights, lineage), saved.weights)
    control.handle(ControlEvent(events.BREED, False))
    control.handle(ControlEvent(events.SLOT, 3, "key"))  # off: keys select slots again (none here)
    assert control.breeding.lineage.picks == [3, 8]


@pytest.mark.unit
def test_midi_pads_toggle_breeding_and_pick_children():
    assert parse_action("breed", "pads") == ControlEvent(events.BREED)
    assert parse_action("breed 4", "pads") == ControlEvent(events.BREED_PICK, 4)
    for bad in ("breed 0", "breed 10", "breed x"):
        with pytest.raises(PresetError, match="breed 1"):
            parse_action(bad, "pads")


@pytest.mark.unit
def test_tiles_fill_the_grid_left_to_right_top_to_bottom():
    pictures = [np.full((2, 3, 3), i, np.uint8) for i in range(9)]
    grid = tile(pictures, 3, (10, 7))  # one spare column and row stay black
    assert grid.shape == (7, 10, 3)
    assert grid[0, 0, 0] == 0 and grid[0, 3, 0] == 1 and grid[2, 0, 0] == 3 and grid[5, 8, 0] == 8
    assert not grid[6].any() and not grid[:, 9].any()


def test_the_grid_is_drawn_in_place_of_the_decks_and_a_journal_replays_it_bit_for_bit(
        gl_context, make_style, tmp_path):
    from tests.test_show_core import FPS, SIZE, Pictures, event

    from vjengine.audio.analysis import AnalysisConfig
    from vjengine.render.evaluate import CPUBackend
    from vjengine.render.gl import Pipeline
    from vjengine.show.core import FrameCore
    from vjengine.show.journal import Journal, JournalWriter, show_description
    from vjengine.show.sinks import JournalSink, Sinks
    from vjengine.show.styles import PreparedStyles

    style = make_style("dawn", seed=3, config=CONFIG)

    def core(root, *sinks):
        backend = CPUBackend(compile=False, workers=1)
        styles = PreparedStyles(backend, [style])
        control = ControlState()
        control.breeding = Breeding(backend, styles.styles, root)
        return FrameCore(control, styles, FrameRenderer(backend, Pipeline(gl_context, SIZE), (48, 27)),
                         Sinks(sinks))

    def features(t):
        return AudioFeatures(t=t, bass_att=1.2, rms=0.1)

    live = Pictures()
    writer = JournalWriter(tmp_path / "show.vjshow", show_description(
        size=list(SIZE), fps=FPS, backend="cpu", analysis=AnalysisConfig()), None)
    show = core(tmp_path / "styles", live, JournalSink(writer))
    script = {0: [event(events.STYLE_A, "dawn")], 3: [event(events.BREED_STRENGTH, 1.0), event(events.BREED, True)],
              6: [event(events.BREED_PICK, 2)], 8: [event(events.BREED_SAVE, "grid")],
              9: [event(events.BREED, False)]}
    show.styles.arrive([("dawn", style.content_hash)])
    for i in range(11):
        show.step(i / FPS, 1 / FPS if i else 0.0, features(i / FPS), script.get(i, ()))
    writer.close()
    assert show.control.counters.rejected == 0 and not show.errors
    grid = live.pictures[5].astype(float)
    h, w = grid.shape[0] // 3, grid.shape[1] // 3
    means = [grid[r * h:(r + 1) * h, c * w:(c + 1) * w].mean(axis=(0, 1)) for r in range(3) for c in range(3)]
    assert min(np.abs(a - b).max() for i, a in enumerate(means) for b in means[i + 1:]) > 2  # nine pictures
    assert not np.array_equal(live.pictures[2], live.pictures[3])  # the grid replaced deck A
    assert load_style(tmp_path / "styles" / "grid").meta["breed"]["picks"] == [2]

    journal = Journal(tmp_path / "show.vjshow")
    again = Pictures()
    replayed = core(None, again)
    for record in journal.frames:
        replayed.styles.arrive(record.loads)
        replayed.step(record.t, record.dt, features(record.t), record.events)
    journal.close()
    assert all(np.array_equal(a, b) for a, b in zip(live.pictures, again.pictures, strict=True))
