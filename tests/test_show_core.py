"""The frame core without a window or a sound server: a real EGL context on a manual clock."""

import numpy as np
import pytest

from vjengine.audio.analysis import AnalysisConfig
from vjengine.audio.features import AudioFeatures
from vjengine.clock import ManualClock
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.presets import Scene, TransitionSettings
from vjengine.control.state import ControlState
from vjengine.model.cppn import CPPNConfig
from vjengine.render.evaluate import CPUBackend
from vjengine.render.frame import FrameRenderer
from vjengine.render.gl import Pipeline
from vjengine.show.core import FrameCore
from vjengine.show.journal import Journal, JournalWriter, show_description
from vjengine.show.offline import swinging
from vjengine.show.sinks import Frame, FrameSink, JournalSink, Sinks
from vjengine.show.styles import PreparedStyles

SIZE, INTERNAL, FPS = (64, 36), (32, 18), 30.0


class Pictures(FrameSink):
    """Keeps every frame and its picture."""

    def __init__(self):
        self.frames: list[Frame] = []
        self.pictures: list[np.ndarray] = []

    def add(self, frame: Frame) -> None:
        self.frames.append(frame)
        self.pictures.append(frame.rgb().copy())


@pytest.fixture
def styles(make_style):
    config = CPPNConfig(width=16, depth=2)
    return [make_style(slug, seed=seed, config=config) for seed, slug in enumerate(("dawn", "dusk"), 3)]


def make_core(gl_context, styles, *sinks, mode="crossfade", **options):
    backend = CPUBackend(compile=False, workers=1)
    state = ControlState()
    state.scenes.apply(Scene(transition=TransitionSettings(0.0, "none", mode)))
    renderer = FrameRenderer(backend, Pipeline(gl_context, SIZE), INTERNAL)
    return FrameCore(state, PreparedStyles(backend, styles), renderer, Sinks(sinks), **options)


def play(core, frames, script=None, arrivals=None):
    """Step `frames` frames on a manual clock; `script` and `arrivals` map a frame index to the
    events applied before it and to the styles whose loads it reports."""
    clock = ManualClock()
    for i in range(frames):
        clock.set(i / FPS)
        core.styles.arrive((arrivals or {}).get(i, ()))
        core.step(clock.now(), 1 / FPS if i else 0.0, AudioFeatures(t=clock.now(), bass_att=1.2, rms=0.1),
                  (script or {}).get(i, ()))


def event(target, value, t=0.0):
    return ControlEvent(target, value, "test", t)


SCRIPT = {0: [event(events.STYLE_A, "dawn")], 5: [event(events.STYLE_B, "dusk")],
          8: [event(events.param_target("xfade", "abs"), 0.5)],
          12: [event(events.param_target("zoom", "abs"), 2.0), event(events.param_target("hue"), 0.3)]}


def test_the_core_draws_what_the_decks_show_and_hands_every_frame_to_the_sinks(gl_context, styles):
    sink = Pictures()
    core = make_core(gl_context, styles, sink)
    core.styles.arrive([("dawn", "a" * 64), ("dusk", "b" * 64)])
    play(core, 20, SCRIPT)
    frames, pictures = sink.frames, sink.pictures
    assert [f.index for f in frames] == list(range(20)) and frames[3].t == pytest.approx(0.1)
    assert [f.events for f in frames[:2]] == [SCRIPT[0], []] and frames[0].loads == [("dawn", "a" * 64),
                                                                                      ("dusk", "b" * 64)]
    assert not frames[0].drawn  # loads reported in a frame are shown from the next one
    assert frames[1].drawn and frames[1].control.style_a == "dawn" and frames[1].control.style_b is None
    assert frames[5].control.style_b == "dusk" and frames[19].control.params["xfade"] == pytest.approx(0.5, abs=1e-3)
    assert pictures[1].shape == (SIZE[1], SIZE[0], 3) and pictures[1].std() > 3
    assert not np.array_equal(pictures[4], pictures[19])  # B came in, the zoom and hue moved
    assert core.frames == 20 and not core.errors


def test_nothing_is_drawn_until_a_style_has_loaded(gl_context, styles):
    sink = Pictures()
    core = make_core(gl_context, styles, sink)
    play(core, 3, SCRIPT)
    assert [f.drawn for f in sink.frames] == [False] * 3 and sink.pictures[-1].max() == 0
    assert core.control.wanted_styles() == ("dawn",)


def test_the_same_journal_gives_the_same_pictures_bit_for_bit(gl_context, styles, tmp_path):
    """What a replay relies on: frames recorded by one core are drawn identically by another."""
    live = Pictures()
    show = show_description(size=list(SIZE), fps=30.0, backend="cpu", analysis=AnalysisConfig())
    writer = JournalWriter(tmp_path / "show.vjshow", show, None)
    core = make_core(gl_context, styles, live, JournalSink(writer), mode="auto")
    play(core, 24, {**SCRIPT, 5: [], 6: [event(events.STYLE_B, "dusk")]},
         arrivals={0: [("dawn", "a" * 64)], 12: [("dusk", "b" * 64)]})  # dusk loads after B asks
    writer.close()
    journal = Journal(tmp_path / "show.vjshow")
    again = Pictures()
    replayed = make_core(gl_context, styles, again, mode="auto")
    for record in journal.frames:
        replayed.styles.arrive(record.loads)
        replayed.step(record.t, record.dt, AudioFeatures(t=record.t, bass_att=1.2, rms=0.1), record.events)
    journal.close()
    assert live.frames[11].control.style_b is None and live.frames[13].control.style_b == "dusk"
    assert all(np.array_equal(a, b) for a, b in zip(live.pictures, again.pictures, strict=True))


def test_a_failing_frame_keeps_the_last_picture_live_and_raises_offline(gl_context, styles):
    sink = Pictures()
    core = make_core(gl_context, styles, sink, keep_going=True, fault_frame=4)
    core.styles.arrive([("dawn", "a" * 64)])
    play(core, 6, SCRIPT)
    assert core.errors["frame"] == 1 and [f.drawn for f in sink.frames] == [False, True, True, False, True, True]
    assert np.array_equal(sink.pictures[3], sink.pictures[2])  # the last good picture stays
    strict = make_core(gl_context, styles, fault_frame=2)
    strict.styles.arrive([("dawn", "a" * 64)])
    with pytest.raises(RuntimeError, match="fault injected into frame 2"):
        play(strict, 3, SCRIPT)


def test_automation_moves_the_crossfade_with_the_beat(gl_context, styles):
    sink = Pictures()
    core = make_core(gl_context, styles, sink, automation=swinging(1.0))
    core.styles.arrive([("dawn", "a" * 64), ("dusk", "b" * 64)])
    core.control.handle(event(events.TEMPO, 120.0))
    play(core, 16, {0: [event(events.STYLE_A, "dawn"), event(events.STYLE_B, "dusk")]})
    xfades = [f.control.params["xfade"] for f in sink.frames]
    assert max(xfades) > 0.9 and xfades[0] == 0.0  # one beat A -> B at 120 BPM: 15 frames


def test_a_failing_sink_fails_alone_in_a_live_show_and_propagates_offline(gl_context, styles, tmp_path, caplog):
    """Snapshots into a folder that is gone: counted and logged once live; offline the error stops the run."""
    from vjengine.show.sinks import SnapshotSink

    after = Pictures()
    core = make_core(gl_context, styles)
    core.sinks = Sinks([SnapshotSink(tmp_path / "gone", 1), after], keep_going=True)
    core.styles.arrive([("dawn", "a" * 64)])
    with caplog.at_level("ERROR"):
        play(core, 6, SCRIPT)
        core.sinks.close()
    assert core.sinks.failures == {"snapshots": 6} and len(after.frames) == 6
    assert len([r for r in caplog.records if r.getMessage().startswith("snapshots failed")]) == 1
    offline = make_core(gl_context, styles, SnapshotSink(tmp_path / "gone", 1))
    with pytest.raises(FileNotFoundError):
        play(offline, 1, SCRIPT)
