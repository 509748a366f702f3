"""Transitions: beat-quantised start and length on a manual clock, cuts; blends: morph vs crossfade."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vjengine.audio.features import AudioFeatures
from vjengine.clock import ManualClock
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.params import PARAMS
from vjengine.control.presets import Scene, TransitionSettings
from vjengine.control.state import ControlState
from vjengine.control.transitions import MODES, Transition, next_boundary
from vjengine.model.cppn import CPPN, CPPNConfig
from vjengine.modulate import modulate
from vjengine.render.blend import NEVER_MORPH, mix_pictures, morphs, plan_blend
from vjengine.render.evaluate import CPUBackend, FoldedWeights

pytestmark = pytest.mark.unit

FPS = 60


def test_next_boundary_is_strictly_after_the_position():
    assert next_boundary(0.6, "beat") == 1.0
    assert next_boundary(1.0, "beat") == 2.0
    assert next_boundary(0.6, "bar") == 4.0
    assert next_boundary(4.0, "bar", beats_per_bar=3) == 6.0
    assert next_boundary(2.25, "none") == 2.25
    with pytest.raises(ValueError):
        next_boundary(1.0, "phrase")


def test_transition_amount_holds_moves_and_lands():
    transition = Transition(start=4.0, beats=8.0, begin=0.2, end=1.0)
    positions = np.linspace(0.0, 16.0, 401)
    amounts = np.array([transition.amount(p) for p in positions])
    assert np.all(amounts[positions < 4.0] == 0.2) and np.all(amounts[positions >= 12.0] == 1.0)
    assert np.all(np.diff(amounts) >= 0) and transition.amount(8.0) == pytest.approx(0.6)
    cut = Transition(start=4.0, beats=0.0, begin=0.0, end=1.0)
    assert (cut.amount(3.999), cut.amount(4.0)) == (0.0, 1.0)
    with pytest.raises(ValueError):
        Transition(0.0, -1.0, 0.0, 1.0)


class Show:
    """A ControlState at 120 BPM (manual tempo) on a manual clock, 60 frames per second."""

    def __init__(self, quantise: str = "beat", beats: float = 4.0, mode: str = "auto"):
        self.clock = ManualClock()
        self.state = ControlState()
        self.state.scenes.apply(Scene(transition=TransitionSettings(beats, quantise, mode)))
        self.state.handle(ControlEvent(events.TEMPO, 120.0))
        self.frames = []

    def run_until(self, t_end: float) -> None:
        """Frames up to (not including) t_end; frame i is at i / FPS exactly, as offline."""
        while len(self.frames) < round(t_end * FPS):
            self.clock.set(len(self.frames) / FPS)
            self.frames.append((self.clock.now(), self.state.update(self.clock.now(), AudioFeatures())))

    def send(self, target: str, value=None) -> None:
        self.state.handle(ControlEvent(target, value, "test", self.clock.now()))

    def loaded(self, *slugs: str) -> None:
        for slug in slugs:
            self.state.style_loaded(slug)


def crossfades(show: Show, start: float, stop: float) -> list[tuple[float, float]]:
    return [(t, f.params["xfade"]) for t, f in show.frames if start <= t < stop]


def test_a_quantised_transition_starts_on_the_next_beat_and_lasts_n_beats():
    show = Show(quantise="beat")
    show.loaded("dawn", "dusk")
    show.send(events.STYLE_A, "dawn")
    show.run_until(0.3)  # beat position 0.6 at 120 BPM
    show.send(events.TRANSITION, ("dusk", 4.0))
    show.run_until(3.0)
    moving = [t for t, x in crossfades(show, 0.3, 3.0) if 0.0 < x < 1.0]
    landed = [t for t, x in crossfades(show, 0.3, 3.0) if x == 1.0]
    assert moving[0] == pytest.approx(0.5 + 1 / FPS)  # the first frame after the beat at 0.5 s
    assert landed[0] == pytest.approx(2.5, abs=1 / FPS)  # four beats later
    assert moving == [t for t, _ in crossfades(show, moving[0], landed[0])]
    assert landed == [t for t, _ in crossfades(show, landed[0], 3.0)]
    values = [x for _, x in crossfades(show, 0.3, 3.0)]
    assert values == sorted(values)
    last = show.frames[-1][1]
    assert (last.style_a, last.style_b, show.state.params.target["xfade"]) == ("dawn", "dusk", 1.0)
    assert show.state.snapshot.transition is False


def test_bar_quantise_waits_for_the_bar_and_the_next_transition_goes_back_to_deck_a():
    show = Show(quantise="bar", beats=2.0)
    show.loaded("dawn", "dusk", "noon")
    show.send(events.STYLE_A, "dawn")
    show.run_until(0.3)
    show.send(events.SLOT, 1)  # no slots yet: rejected, nothing moves
    assert show.state.counters.rejected == 1
    show.state.scenes.slots = ("dusk", "noon")
    show.send(events.SLOT, 1)
    show.run_until(3.5)
    assert all(x == 0.0 for _, x in crossfades(show, 0.3, 2.0))  # bar 1 starts at beat 4 = 2.0 s
    assert all(x == 1.0 for _, x in crossfades(show, 3.0, 3.5))  # two beats later
    show.send(events.SLOT, 2)  # deck A is hidden now: noon goes there, the crossfade returns to 0
    show.run_until(6.0)
    assert all(x == 1.0 for _, x in crossfades(show, 3.5, 4.0))
    assert all(x == 0.0 for _, x in crossfades(show, 5.0, 6.0))
    assert (show.frames[-1][1].style_a, show.frames[-1][1].style_b) == ("noon", "dusk")


def test_a_zero_beat_transition_is_a_cut_on_the_beat():
    show = Show(quantise="beat")
    show.loaded("dawn", "dusk")
    show.send(events.STYLE_A, "dawn")
    show.run_until(0.1)
    show.send(events.TRANSITION, ("dusk", 0.0))
    show.run_until(1.0)
    values = crossfades(show, 0.1, 1.0)
    assert {x for t, x in values if t < 0.5} == {0.0} and {x for t, x in values if t >= 0.5} == {1.0}


def test_a_transition_waits_for_its_style_to_load_and_a_failed_style_keeps_the_deck():
    show = Show(quantise="beat", beats=1.0)
    show.loaded("dawn")
    show.send(events.STYLE_A, "dawn")
    show.send(events.TRANSITION, ("dusk", 1.0))
    show.run_until(1.2)
    assert show.state.wanted_styles() == ("dawn", "dusk")
    assert {f.params["xfade"] for _, f in show.frames} == {0.0} and show.frames[-1][1].style_b is None
    show.loaded("dusk")  # loaded at 1.2 s (beat 2.4): starts on beat 3 (1.5 s), done on beat 4
    show.run_until(2.5)
    assert all(x == 0.0 for _, x in crossfades(show, 1.2, 1.5))
    assert all(x == 1.0 for _, x in crossfades(show, 2.0, 2.5))
    show.send(events.STYLE_A, "broken")
    show.state.style_failed("broken", "weights.safetensors: missing")
    show.run_until(3.0)
    assert show.frames[-1][1].style_a == "dawn" and show.state.counters.style_failures == 1
    assert show.state.wanted_styles() == ("dawn", "dusk")


def test_moving_the_crossfade_by_hand_takes_over_from_a_transition_without_a_jump():
    show = Show(quantise="none", beats=8.0)
    show.loaded("dawn", "dusk")
    show.send(events.STYLE_A, "dawn")
    show.run_until(0.1)
    show.send(events.TRANSITION, ("dusk", None))
    show.run_until(2.0)
    held = show.frames[-1][1].params["xfade"]
    assert 0.2 < held < 0.8
    show.send(events.param_target("xfade", "nudge"), 0.05)
    show.run_until(2.1)
    first_after = crossfades(show, 2.0, 2.1)[0][1]
    assert abs(first_after - held) < 0.05  # glides on from where the transition was
    show.run_until(4.0)
    assert show.frames[-1][1].params["xfade"] == pytest.approx(held + 0.05, abs=1e-3)
    assert show.state.snapshot.transition is False


def test_scene_styles_cut_together_on_the_next_bar_once_both_are_loaded():
    show = Show(quantise="bar")
    show.loaded("dawn")
    show.send(events.STYLE_A, "dawn")
    show.run_until(0.2)
    show.state.scenes.apply(Scene(style_a="noon", style_b="dusk", params={"xfade": 0.25, "zoom": 2.0}))
    show.run_until(2.4)  # bar at 2.0 s passes, but the styles are not loaded
    assert show.frames[-1][1].style_a == "dawn" and show.state.params.target["zoom"] == 2.0
    show.loaded("noon", "dusk")  # beat 4.8: the next bar is beat 8 (4.0 s)
    show.run_until(4.5)
    switched = [t for t, f in show.frames if f.style_a == "noon"]
    assert switched[0] == pytest.approx(4.0, abs=1 / FPS)
    last = show.frames[-1][1]
    assert (last.style_a, last.style_b, last.params["xfade"]) == ("noon", "dusk", 0.25)


def folded(seed: int, config: CPPNConfig) -> FoldedWeights:
    return FoldedWeights.from_model(CPPN(config, seed=seed).eval())


def test_render_morphs_only_weights_that_share_a_config_unless_the_scene_says_crossfade():
    small, wide = CPPNConfig(width=8, depth=2), CPPNConfig(width=16, depth=2)
    a, b, c = folded(1, small), folded(2, small), folded(3, wide)
    assert NEVER_MORPH in MODES
    assert morphs("auto", a, b) and morphs("morph", a, b) and not morphs("crossfade", a, b)
    assert not morphs("auto", a, c) and not morphs("morph", a, c)
    assert len(plan_blend(a, b, 0.5, "auto").weights) == 1
    assert plan_blend(a, c, 0.5, "auto").weights == (a, c)


def test_the_frame_carries_the_scenes_blend_mode():
    show = Show(quantise="none", mode="crossfade")
    show.run_until(0.1)
    assert show.frames[-1][1].blend_mode == "crossfade"
    show.state.scenes.apply(Scene(transition=TransitionSettings(4.0, "bar", "morph")))
    show.run_until(0.2)
    assert show.frames[-1][1].blend_mode == "morph"


def test_blend_plans_evaluate_the_right_networks_and_mix_pictures():
    config = CPPNConfig(width=16, depth=2)
    a, b = folded(1, config), folded(2, config)
    backend = CPUBackend(compile=False)
    frame = modulate(AudioFeatures(), {spec.name: spec.default for spec in PARAMS}, 0.0)
    pictures = backend.evaluate([a, b], 24, 16, frame)
    plan = plan_blend(a, b, 0.5, "crossfade")
    assert plan.weights == (a, b) and plan.xfade == 0.5
    mixed = mix_pictures(backend.evaluate(plan.weights, 24, 16, frame), plan.xfade)
    expected = (pictures[0].astype(np.float32) + pictures[1]) / 2
    assert np.abs(mixed - expected).max() <= 0.5
    assert plan_blend(a, b, 0.0, "auto").weights == (a,)
    assert plan_blend(a, b, 1.0, "crossfade").weights == (b,)
    assert plan_blend(a, None, 0.7, "crossfade").weights == (a,)
    morph = plan_blend(a, b, 0.5, "auto")
    assert len(morph.weights) == 1 and morph.xfade == 0.0
    assert torch.allclose(morph.weights[0].coord, (a.coord + b.coord) / 2)
    halfway = backend.evaluate(morph.weights, 24, 16, frame)[0]
    assert not np.array_equal(halfway, pictures[0]) and not np.array_equal(halfway, pictures[1])


def test_malformed_events_are_rejected_and_counted_never_raised():
    show = Show()
    for target, value in [(events.TRANSITION, "dusk"), (events.TRANSITION, ("../x", 1.0)),
                          (events.STYLE_A, 3), (events.SLOT, True), (events.TEMPO, "fast"),
                          ("param/volume", 0.5), ("param/zoom", None), ("confetti", 1.0),
                          (events.LEARN, "zoom")]:  # no MIDI here
        show.send(target, value)
    assert show.state.counters.rejected == 9 and show.state.counters.events == 10
    show.run_until(0.1)
    assert show.state.wanted_styles() == ()
