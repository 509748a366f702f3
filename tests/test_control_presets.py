"""Scenes: exact save -> load round trip, one-line errors for bad files, routes, `vjengine presets`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vjengine.audio.features import AudioFeatures
from vjengine.cli import main
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.params import PARAMS, SPECS
from vjengine.control.presets import PresetError, PresetLibrary, Scene, TransitionSettings
from vjengine.control.routes import CURVES, SOURCES, Route
from vjengine.control.state import ControlState
from vjengine.control.transitions import MODES, QUANTISE

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "presets"

slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,20}", fullmatch=True)
values = st.fixed_dictionaries({spec.name: st.floats(spec.lo, spec.hi) for spec in PARAMS})
routes = st.builds(Route, st.sampled_from(sorted(SOURCES)), st.sampled_from([s.name for s in PARAMS]),
                   st.floats(-1.0, 1.0), st.sampled_from(sorted(CURVES)))
transitions = st.builds(TransitionSettings, st.floats(0.0, 64.0), st.sampled_from(QUANTISE),
                        st.sampled_from(MODES))


def loaded_state(library: PresetLibrary, *slugs_loaded: str) -> ControlState:
    state = ControlState(presets=library)
    for slug in slugs_loaded:
        state.style_loaded(slug)
    return state


@settings(max_examples=60, deadline=None)
@given(values, slugs, slugs, st.lists(slugs, max_size=9), st.lists(routes, max_size=4), transitions)
def test_save_then_load_gives_back_exactly_the_same_scene(tmp_path_factory, params, a, b, slots,
                                                          route_list, transition):
    library = PresetLibrary(tmp_path_factory.mktemp("presets"))
    scene = Scene("show", a, b, tuple(slots), transition, params, tuple(route_list))
    source = loaded_state(library, a, b)
    source.scenes.apply(scene, at_once=True)
    source.update(0.0, AudioFeatures())
    source.handle(ControlEvent(events.PRESET_SAVE, "show"))
    saved = library.path("show").read_bytes()
    target = loaded_state(library, a, b)
    target.handle(ControlEvent(events.PRESET, "show"))
    for frame in range(3 * 60):  # the styles cut in on the scene's next bar (4 beats at 120 BPM)
        target.update(frame / 60, AudioFeatures())
    clamped = {name: SPECS[name].clamp(value) for name, value in params.items() if name != "xfade"}
    expected = Scene("show", a, b, tuple(slots), transition, clamped, tuple(route_list))
    assert library.load("show") == expected
    assert target.scenes.current("show") == expected
    assert target.counters.preset_errors == 0 and target.scenes.preset == "show"
    target.handle(ControlEvent(events.PRESET_SAVE, "show"))
    assert library.path("show").read_bytes() == saved


BAD_FILES = [
    ("styles = [", "unreadable TOML"),
    ("colour = 3", "unknown keys ['colour']"),
    ("[params]\nvolume = 1.0", "'volume' is not a parameter"),
    ("[params]\nzoom = \"big\"", "expected a finite number, got 'big'"),
    ("[params]\nzoom = nan", "expected a finite number, got nan"),
    ("[styles]\nb = \"ink\"", "[styles] needs a"),
    ("[styles]\na = \"../ink\"", "style '../ink' is not a style slug"),
    ("slots = [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]", "at most 9 style slugs"),
    ("[transition]\nquantise = \"phrase\"", "quantise 'phrase'"),
    ("[transition]\nbeats = -2", "beats -2"),
    ("[[routes]]\nsource = \"vibes\"\nparam = \"zoom\"\namount = 0.1", "route source 'vibes'"),
    ("[[routes]]\nsource = \"bass\"\nparam = \"zoom\"\namount = 3.0", "route amount 3.0"),
    ("routes = 1", "routes must be an array"),
    ("[[routes]]\nsource = [\"bass\"]\nparam = \"zoom\"\namount = 0.1", "route source ['bass']"),
    ("[[routes]]\nsource = \"bass\"\nparam = {}\namount = 0.1", "route parameter {}"),
    ("[[routes]]\nsource = \"bass\"\nparam = \"zoom\"\namount = 0.1\ncurve = [1]", "route curve [1]"),
    ("params = 4", "[params] must be a table"),
    ("name = " + "\"" + "x" * 70000 + "\"", "larger than the 16384-byte limit"),
    ("x = " + "[" * 8000 + "]" * 8000, "unreadable TOML (maximum recursion depth exceeded"),
]


@pytest.mark.parametrize("text, message", BAD_FILES)
def test_bad_preset_files_give_one_line_errors_naming_the_file(tmp_path, text, message):
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(PresetError) as error:
        PresetLibrary(tmp_path).load("bad")
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith(str(tmp_path / "bad.toml"))


def test_a_linked_or_missing_preset_is_refused(tmp_path):
    (tmp_path / "real.toml").write_text("name = \"x\"")
    (tmp_path / "link.toml").symlink_to(tmp_path / "real.toml")
    for name in ("link", "missing"):
        with pytest.raises(PresetError, match="missing or not a regular file"):
            PresetLibrary(tmp_path).load(name)


def test_a_bad_preset_is_reported_and_the_show_goes_on(tmp_path, caplog):
    (tmp_path / "broken.toml").write_text("[params]\nzoom = \"big\"")
    state = ControlState(presets=PresetLibrary(tmp_path))
    state.handle(ControlEvent(events.PRESET, "broken"))
    state.handle(ControlEvent(events.PRESET, "absent"))
    state.handle(ControlEvent(events.param_target("zoom", "abs"), 2.0))
    frame = state.update(0.0, AudioFeatures())
    assert state.counters.preset_errors == 2 and state.params.target["zoom"] == 2.0
    assert frame.params["zoom"] == SPECS["zoom"].default  # unchanged by the bad preset, gliding
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2 and all("\n" not in e for e in errors) and "broken.toml" in errors[0]


def test_a_bad_preset_asked_for_again_and_again_is_logged_once_and_counted(tmp_path, caplog):
    state = ControlState(presets=PresetLibrary(tmp_path))
    for _ in range(1000):  # a pad bound to a missing preset, hammered
        state.handle(ControlEvent(events.PRESET, "missing"))
    state.handle(ControlEvent(events.PRESET, "other"))
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert state.counters.preset_errors == 1001 and len(errors) == 2
    assert "missing.toml" in errors[0] and "other.toml" in errors[1]


@pytest.mark.parametrize("name", ["../escape", "a/b", "/etc/passwd", "", ".hidden", "Upper", "x" * 65])
def test_preset_names_cannot_leave_their_folder(tmp_path, name):
    folder = tmp_path / "presets"
    state = ControlState(presets=PresetLibrary(folder))
    state.handle(ControlEvent(events.PRESET_SAVE, name))
    state.handle(ControlEvent(events.PRESET, name))
    assert state.counters.preset_errors == 2
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_shipped_presets_load_and_partial_scenes_leave_the_rest_alone():
    library = PresetLibrary(SHIPPED)
    entries = dict(library.entries())
    assert {"default", "calm", "club", "kaleido", "drop"} <= set(entries)
    assert not [e for e in entries.values() if isinstance(e, PresetError)]
    state = ControlState(presets=library)
    state.handle(ControlEvent(events.param_target("hue", "abs"), 0.5))
    state.scenes.slots = ("dawn",)
    state.handle(ControlEvent(events.PRESET, "club"))
    assert state.params.target["hue"] == SPECS["hue"].default  # [params] given: unlisted -> default
    assert state.params.target["beat_zoom"] == 0.18
    assert state.scenes.slots == ("dawn",)  # the scene names no slots: they are kept
    assert state.scenes.transition == TransitionSettings(4.0, "beat", "auto")
    assert len(state.scenes.routes) == 2
    state.handle(ControlEvent(events.PRESET, "default"))
    assert state.params.target == {spec.name: spec.default for spec in PARAMS}
    assert state.scenes.routes == ()


def test_a_scene_leaves_the_crossfader_trails_and_kaleidoscope_alone_unless_it_sets_them(tmp_path):
    library = PresetLibrary(tmp_path)
    library.save("styles", Scene(style_a="dawn", style_b="dusk", params={"hue": 0.2}))
    library.save("trails", Scene(params={"trails": 0.1}))
    library.save("reset", Scene(params={}, keep=()))
    state = loaded_state(library, "old-a", "old-b", "dawn", "dusk")
    for name, value in (("xfade", 0.7), ("trails", 0.5), ("kaleido", 6.0), ("spin", 0.4)):
        state.handle(ControlEvent(events.param_target(name, "abs"), value))
    state.handle(ControlEvent(events.PRESET, "styles"))
    kept = state.params.target
    assert (kept["xfade"], kept["trails"], kept["kaleido"]) == (0.7, 0.5, 6.0)
    assert kept["spin"] == SPECS["spin"].default and kept["hue"] == 0.2
    for frame in range(3 * 60):  # the new styles cut in on the next bar, at the performer's crossfade
        control = state.update(frame / 60, AudioFeatures())
    assert (control.style_a, control.style_b, control.params["xfade"]) == ("dawn", "dusk", 0.7)
    state.handle(ControlEvent(events.PRESET, "trails"))
    assert state.params.target["trails"] == 0.1 and state.params.target["kaleido"] == 6.0
    state.handle(ControlEvent(events.PRESET, "reset"))
    assert state.params.target == {spec.name: spec.default for spec in PARAMS}


def test_presets_command_lists_scenes_and_maps_and_flags_bad_files(tmp_path, capsys):
    assert main(["presets", "--dir", str(SHIPPED)]) == 0
    out = capsys.readouterr().out
    for name in ("club", "drop", "nanokontrol2", "launchcontrol-xl", "apc-mini", "generic"):
        assert name in out
    shutil.copytree(SHIPPED, tmp_path / "presets")
    (tmp_path / "presets" / "broken.toml").write_text("[params]\nvolume = 1")
    assert main(["presets", "--dir", str(tmp_path / "presets")]) == 1
    captured = capsys.readouterr()
    assert "club" in captured.out
    assert captured.err.strip().count("\n") == 0 and "broken.toml" in captured.err


def test_presets_command_prints_the_readme_tables(capsys):
    assert main(["presets", "--dir", str(SHIPPED), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "<!-- osc-table:start -->" in out and "| `/vj/param/zoom/abs`" not in out
    assert "| `/vj/param/<name>/abs` | f |" in out and "| `nanokontrol2`" in out
