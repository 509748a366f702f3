"""Fuzz target for scene presets and MIDI maps: hostile TOML and names load within the schema or are refused.

The contract: `PresetLibrary.load` / `MidiMapLibrary.load` either return a scene or map whose every
value is inside the schema (and stays inside it once applied to a ControlState), or raise
PresetError with one short line naming the file (or, for a bad name, the name). No other exception,
and no name reads or writes a file outside its folder.
"""

from __future__ import annotations

import math
import string
from pathlib import Path

from hypothesis import strategies as st

from tools.fuzz_toml import TOML_VALUES, toml_cases
from vjengine.audio.features import AudioFeatures
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.midimap import MidiMapLibrary, MidiMapper, parse_action
from vjengine.control.params import PARAMS, SPECS
from vjengine.control.presets import SLOT_COUNT, PresetError, PresetLibrary, Scene
from vjengine.control.state import ControlState
from vjengine.paths import PRESETS
from vjengine.control.transitions import MAX_BEATS

SCENE_KEYS = ("name", "styles", "slots", "transition", "params", "routes", "extra")
MAP_KEYS = ("name", "match", "channel", "cc", "buttons", "notes", "extra")
NAMES = st.one_of(
    st.from_regex(r"[a-z0-9][a-z0-9_-]{0,63}", fullmatch=True),
    st.sampled_from(["../../etc/passwd", "../x", "..", ".", "/etc/passwd", "a/b", "a\\b", "", " ",
                     "x" * 65, "UPPER", "nul\x00byte", "\u2215etc", ".hidden", "-dash", "~"]),
    st.text(max_size=70),
)


def shipped(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("*.toml"))]


def _table_lines(draw, header: str, keys) -> list[str]:
    lines = [header]
    for _ in range(draw(st.integers(1, 6))):
        lines.append(f"{draw(keys)} = {draw(TOML_VALUES)}")
    return lines


@st.composite
def preset_texts(draw) -> bytes:
    """A shipped preset mutated, or one built from hostile tables."""
    if draw(st.booleans()):
        return draw(toml_cases(draw(st.sampled_from(shipped(PRESETS))), SCENE_KEYS))
    param_keys = st.sampled_from([s.name for s in PARAMS] + ["volume", "__class__", "xfade "]) | st.text(
        string.ascii_lowercase, min_size=1, max_size=8)
    lines = [f"{draw(st.sampled_from(SCENE_KEYS[:3]))} = {draw(TOML_VALUES)}"]
    for table in draw(st.lists(st.sampled_from(["params", "transition", "styles", "routes"]), max_size=4)):
        if table == "params":
            lines += _table_lines(draw, "[params]", param_keys)
        elif table == "transition":
            lines += _table_lines(draw, "[transition]", st.sampled_from(["beats", "quantise", "mode", "x"]))
        elif table == "styles":
            lines += _table_lines(draw, "[styles]", st.sampled_from(["a", "b", "c"]))
        else:
            lines += _table_lines(draw, "[[routes]]", st.sampled_from(["source", "param", "amount", "curve"]))
    return "\n".join(lines).encode()


@st.composite
def map_texts(draw) -> bytes:
    """A shipped MIDI map mutated, or one built from hostile tables."""
    if draw(st.booleans()):
        return draw(toml_cases(draw(st.sampled_from(shipped(PRESETS / "midi"))), MAP_KEYS))
    numbers = st.one_of(st.integers(-5, 300).map(str),
                        st.sampled_from(["²", "١٢", "0x10", "1e2", "07", "-0", "1" * 5000]))
    keys = numbers.map(lambda n: f'"{n}"')
    lines = [f"{draw(st.sampled_from(MAP_KEYS[:3]))} = {draw(TOML_VALUES)}"]
    for table in draw(st.lists(st.sampled_from(["cc", "buttons", "notes"]), max_size=3, unique=True)):
        lines += _table_lines(draw, f"[{table}]", keys)
    return "\n".join(lines).encode()


def check_error(error: PresetError, path: Path, name: object) -> None:
    message = str(error)
    assert "\n" not in message and len(message) < 800, message[:2000]
    assert str(path) in message or repr(name) in message, message


def check_scene(scene: Scene) -> None:
    """Every part of a loaded scene inside the schema, also once applied to a show."""
    for name, value in (scene.params or {}).items():
        spec = SPECS[name]
        assert math.isfinite(value) and spec.lo <= value <= spec.hi, (name, value)
    assert scene.slots is None or len(scene.slots) <= SLOT_COUNT
    assert scene.transition is None or 0 <= scene.transition.beats <= MAX_BEATS
    for route in scene.routes or ():
        assert route.param in SPECS and math.isfinite(route.amount) and -1 <= route.amount <= 1
    state = ControlState()
    state.scenes.apply(scene, at_once=True)
    frame = state.update(1.0, AudioFeatures(rms=1.0, bass_att=9.0, onset_t=1.0))
    for spec in PARAMS:
        value = frame.params[spec.name]
        assert math.isfinite(value) and spec.lo <= value <= spec.hi, (spec.name, value)


def load_case(library, folder: Path, text: bytes, check) -> str:
    """Write text as folder/case.toml and load it: "loaded" (and checked) or "refused" in one line."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_bytes(text)
    try:
        check(library.load("case"))
    except PresetError as error:
        check_error(error, folder / "case.toml", "case")
        return "refused"
    return "loaded"


def check_preset(folder: Path, text: bytes, name: object) -> str:
    """Write the case as presets/case.toml, load it and `name`; returns "loaded" or "refused"."""
    library = PresetLibrary(folder)
    outcome = load_case(library, folder, text, check_scene)
    for load in (library.load, lambda n: library.save(n, Scene(name="x"))):
        try:
            load(name)
        except PresetError as error:
            check_error(error, library.folder, name)
    state = ControlState(presets=library)  # the same through the show's own door
    state.handle(ControlEvent(events.PRESET, name))
    state.handle(ControlEvent(events.PRESET_SAVE, name))
    return outcome


def check_map_contents(midi_map) -> None:
    """A loaded map holds only valid channels, controller numbers, parameters and actions."""
    assert midi_map.channel is None or 1 <= midi_map.channel <= 16
    for table in (midi_map.cc, midi_map.buttons, midi_map.notes):
        assert all(isinstance(k, int) and 0 <= k <= 127 for k in table), table
    assert all(param in SPECS for param in midi_map.cc.values())
    for action in (*midi_map.buttons.values(), *midi_map.notes.values()):
        parse_action(action, "case")


def check_map(folder: Path, text: bytes, name: object) -> str:
    """Write the case as midi/case.toml, load it (and `name`); returns "loaded" or "refused"."""
    library = MidiMapLibrary(folder)
    outcome = load_case(library, folder, text, check_map_contents)
    try:
        library.load(name)
    except PresetError as error:
        check_error(error, library.folder, name)
    MidiMapper(library)  # builds from every file in the folder: bad ones are counted, never raised
    return outcome


def check_contained(root: Path) -> None:
    """Nothing was written under root except the case files and <name>.toml in presets/."""
    stray = [p for p in root.rglob("*") if p.is_file() and (p.suffix != ".toml" or p.parent.name not in
                                                              ("presets", "midi"))]
    assert not stray, stray
