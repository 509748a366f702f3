"""MIDI maps (presets/midi/<name>.toml) and MIDI learn: raw CCs and notes -> ControlEvents.

A map binds continuous CCs to parameters (0..127 normalised, then scaled by the schema), and
button CCs (on press, value >= 64) and notes (note-on) to actions: "slot N", "preset NAME",
"tap", "tempo auto", "breed" (breed mode on/off) or "breed N" (pick child N). Each port uses the first map whose `match` substrings appear in its
name, else the default map. MIDI learn binds the next CC from any port into that port's map.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.params import SPECS
from vjengine.control.presets import SLOT_COUNT, PresetError, TomlFolder, check_name
from vjengine.names import NAME_PATTERN
from vjengine.styles.breed import CHILDREN

log = logging.getLogger(__name__)

MAP_KEYS = {"name", "match", "channel", "cc", "buttons", "notes"}
BUTTON_THRESHOLD = 64
MIDI_NUMBER = re.compile(r"[0-9]{1,3}")  # str.isdigit() also takes '²' and other digits int() refuses
DEFAULT_MAP = "generic"


def parse_action(action: object, where: str) -> ControlEvent:
    """The event an action string triggers ("slot 3", "preset club", "tap", "tempo auto")."""
    words = action.split() if isinstance(action, str) else []
    if words == ["tap"]:
        return ControlEvent(events.TAP)
    if words == ["tempo", "auto"]:
        return ControlEvent(events.TEMPO, 0.0)
    if (len(words) == 2 and words[0] == "slot" and MIDI_NUMBER.fullmatch(words[1])
            and 1 <= int(words[1]) <= SLOT_COUNT):
        return ControlEvent(events.SLOT, int(words[1]))
    if len(words) == 2 and words[0] == "preset" and NAME_PATTERN.match(words[1]):
        return ControlEvent(events.PRESET, words[1])
    if words == ["breed"]:
        return ControlEvent(events.BREED)
    if (len(words) == 2 and words[0] == "breed" and MIDI_NUMBER.fullmatch(words[1])
            and 1 <= int(words[1]) <= CHILDREN):
        return ControlEvent(events.BREED_PICK, int(words[1]))
    raise PresetError(f"{where}: action {action!r}: expected \"slot 1\"..\"slot {SLOT_COUNT}\", "
                      f"\"preset NAME\", \"tap\", \"tempo auto\", \"breed\" or \"breed 1\"..\"breed {CHILDREN}\"")


def _numbers(table: object, where: str, key: str) -> dict[int, object]:
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise PresetError(f"{where}: [{key}] must be a table of number = value")
    out = {}
    for number, value in table.items():
        if not MIDI_NUMBER.fullmatch(number) or not 0 <= int(number) <= 127:
            raise PresetError(f"{where}: [{key}] key {number[:20]!r}: expected a MIDI number 0..127")
        out[int(number)] = value
    return out


@dataclass(frozen=True)
class MidiMap:
    """One controller's bindings; `channel` 1..16 listens to one channel, None to all."""

    name: str = ""
    match: tuple[str, ...] = ()
    channel: int | None = None
    cc: dict[int, str] = field(default_factory=dict, hash=False)
    buttons: dict[int, str] = field(default_factory=dict, hash=False)
    notes: dict[int, str] = field(default_factory=dict, hash=False)

    def fits(self, port: str) -> bool:
        return any(pattern.lower() in port.lower() for pattern in self.match)

    def learned(self, control: int, param: str) -> MidiMap:
        """This map with CC `control` bound to `param` (and no longer a button)."""
        buttons = {k: v for k, v in self.buttons.items() if k != control}
        return replace(self, cc={**self.cc, control: param}, buttons=buttons)


def map_from_table(data: dict, where: str) -> MidiMap:
    unknown = set(data) - MAP_KEYS
    if unknown:
        raise PresetError(f"{where}: unknown keys {sorted(unknown)} (expected {sorted(MAP_KEYS)})")
    name, match, channel = data.get("name", ""), data.get("match", []), data.get("channel")
    if not isinstance(name, str):
        raise PresetError(f"{where}: name must be a string")
    if not isinstance(match, list) or not all(isinstance(m, str) and m for m in match):
        raise PresetError(f"{where}: match must be a list of port-name substrings")
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int)
                                or not 1 <= channel <= 16):
        raise PresetError(f"{where}: channel {channel!r}: expected 1..16, or leave it out for all")
    cc = _numbers(data.get("cc"), where, "cc")
    for number, param in cc.items():
        if not isinstance(param, str) or param not in SPECS:
            raise PresetError(f"{where}: [cc] {number} = {param!r} is not a parameter "
                              f"(expected one of {', '.join(SPECS)})")
    buttons = _numbers(data.get("buttons"), where, "buttons")
    notes = _numbers(data.get("notes"), where, "notes")
    for table in (buttons, notes):
        for action in table.values():
            parse_action(action, where)
    both = sorted(set(cc) & set(buttons))
    if both:
        raise PresetError(f"{where}: CCs {both} are in both [cc] and [buttons]")
    return MidiMap(name, tuple(match), channel, cc, buttons, notes)


def map_to_table(midi_map: MidiMap) -> dict:
    data: dict = {"name": midi_map.name, "match": list(midi_map.match)}
    if midi_map.channel is not None:
        data["channel"] = midi_map.channel
    for key in ("cc", "buttons", "notes"):
        table = getattr(midi_map, key)
        if table:
            data[key] = {str(number): table[number] for number in sorted(table)}
    return data


class MidiMapLibrary(TomlFolder[MidiMap]):
    """The presets/midi folder: MIDI maps by name."""

    what = "MIDI map"

    def parse(self, data: dict, where: str) -> MidiMap:
        return map_from_table(data, where)

    def table(self, item: MidiMap) -> dict:
        return map_to_table(item)


class MidiMapper:
    """Per-port maps, MIDI learn and translation of raw MIDI events (render thread).

    Maps are loaded once, when built; a bad map file is logged in one line and skipped.
    """

    def __init__(self, library: MidiMapLibrary, default: str = DEFAULT_MAP):
        self.library = library
        self.maps: list[tuple[str, MidiMap]] = []
        self.errors = 0
        for name, entry in library.entries():
            if isinstance(entry, PresetError):
                log.error("%s", entry)
                self.errors += 1
            else:
                self.maps.append((name, entry))
        self.default = dict(self.maps).get(default)
        if self.default is None:
            log.warning("MIDI map %r not found in %s; unmatched ports are ignored", default, library.folder)
        self._ports: dict[str, MidiMap | None] = {}
        self.learning: str | None = None
        self._learned_port: str | None = None

    def map_for(self, port: str) -> MidiMap | None:
        if port not in self._ports:
            chosen = next((m for _, m in self.maps if m.fits(port)), self.default)
            self._ports[port] = chosen
            log.info("MIDI port %r uses map %r", port, chosen.name if chosen else None)
        return self._ports[port]

    def learn(self, param: str) -> None:
        """Bind the next CC to `param`; "" cancels."""
        if param and param not in SPECS:
            raise ValueError(f"learn {param!r}: not a parameter (expected one of {', '.join(SPECS)})")
        self.learning = param or None

    def translate(self, event: ControlEvent) -> list[ControlEvent]:
        """The show events a raw midi/cc or midi/note event means under its port's map."""
        port, channel, number, value = event.value
        if event.target == events.MIDI_CC and self.learning is not None:
            self._ports[port] = (self.map_for(port) or MidiMap(match=(port,))).learned(number, self.learning)
            log.info("MIDI learn: %s CC %d -> %s", port, number, self.learning)
            self.learning, self._learned_port = None, port
        midi_map = self.map_for(port)
        if midi_map is None or (midi_map.channel is not None and midi_map.channel != channel + 1):
            return []
        if event.target == events.MIDI_CC:
            if number in midi_map.cc:
                return [ControlEvent(events.param_target(midi_map.cc[number]), value / 127.0,
                                     event.source, event.t)]
            action = midi_map.buttons.get(number)
            if action is None or value < BUTTON_THRESHOLD:
                return []
        else:
            action = midi_map.notes.get(number)
            if action is None:
                return []
        triggered = parse_action(action, midi_map.name)
        return [replace(triggered, source=event.source, t=event.t)]

    def save(self, name: str) -> Path:
        """Save the map of the port that last learned (else the first port seen) as `name`."""
        check_name(name, "MIDI map")
        port = self._learned_port or next(iter(self._ports), None)
        midi_map = self._ports.get(port) if port is not None else None
        if midi_map is None:
            raise PresetError(f"MIDI map {name!r}: nothing to save (no MIDI port has sent anything)")
        return self.library.save(name, replace(midi_map, name=midi_map.name or name))
