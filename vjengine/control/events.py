"""ControlEvent, its target vocabulary, and the ControlBus that carries events to the render thread.

Every door into the show (window keys, OSC, MIDI, presets) speaks this one vocabulary; the render
thread hands each event to `control.state.ControlState.handle`. Producers stamp `t` with the engine
clock (the same clock as the frame time), which tap tempo and MIDI clock rely on.

| target | value | meaning |
| --- | --- | --- |
| `param/<name>` | float 0..1 | set a parameter from a normalised value (the schema scales it) |
| `param/<name>/abs` | float | set a parameter in its own units (clamped to its range) |
| `param/<name>/nudge` | float | move a parameter by this fraction of its range (keys) |
| `style/a`, `style/b` | slug | put a style on deck A or B as soon as it is loaded |
| `slot` | int 1..9 | transition to the style in the scene's slot, with the scene's settings |
| `transition` | (slug, beats) | transition starting on the next beat/bar, lasting beats (0: cut) |
| `preset` | name | load `presets/<name>.toml` |
| `preset/save` | name | save the current state as `presets/<name>.toml` |
| `tap` | None | one tap of tap tempo |
| `tempo` | bpm | manual tempo; 0 hands tempo back to the automatic sources |
| `learn` | param name | bind the next MIDI CC to this parameter ("" cancels) |
| `learn/save` | name | save the learned MIDI map as `presets/midi/<name>.toml` |
| `midi/cc` | (port, channel, control, value) | a raw control change, mapped by the port's MIDI map |
| `midi/note` | (port, channel, note, velocity) | a raw note-on, mapped by the port's MIDI map |
| `midi/clock`, `midi/start`, `midi/stop`, `midi/continue` | None | MIDI clock (24 per beat) |
| `autopilot` | bool | the autopilot on or off (control.autopilot) |
| `autopilot/pool` | tuple of slugs | the styles it may choose (empty: all) |
| `autopilot/variety` | float 0..1 | 0 always the best match, 1 any of them |
| `breed` | bool, None | breed mode on or off (None toggles; show.breeding) |
| `breed/pick` | int 1..9 | the child that becomes the parent of the next generation |
| `breed/strength` | float 0..2 | the mutation strength (times each layer's weight std) |
| `breed/save` | name | save the current parent as `styles/<name>` with its lineage |
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Any

PARAM_PREFIX = "param/"
ABSOLUTE_SUFFIX = "/abs"
NUDGE_SUFFIX = "/nudge"
STYLE_A, STYLE_B = "style/a", "style/b"
SLOT = "slot"
TRANSITION = "transition"
PRESET, PRESET_SAVE = "preset", "preset/save"
TAP, TEMPO = "tap", "tempo"
LEARN, LEARN_SAVE = "learn", "learn/save"
MIDI_CC, MIDI_NOTE = "midi/cc", "midi/note"
AUTOPILOT, AUTOPILOT_POOL, AUTOPILOT_VARIETY = "autopilot", "autopilot/pool", "autopilot/variety"
BREED, BREED_PICK, BREED_STRENGTH, BREED_SAVE = "breed", "breed/pick", "breed/strength", "breed/save"
BREED_TARGETS = (BREED, BREED_PICK, BREED_STRENGTH, BREED_SAVE)
MIDI_CLOCK, MIDI_START, MIDI_STOP, MIDI_CONTINUE = "midi/clock", "midi/start", "midi/stop", "midi/continue"


@dataclass(frozen=True)
class ControlEvent:
    """One request to change the show: target names what (see the table above), value how."""

    target: str
    value: Any = None
    source: str = "internal"
    t: float = 0.0


def param_target(name: str, mode: str = "") -> str:
    """The target that sets parameter `name`: mode "" (normalised), "abs" or "nudge"."""
    return f"{PARAM_PREFIX}{name}/{mode}" if mode else f"{PARAM_PREFIX}{name}"


def split_param_target(target: str) -> tuple[str, str] | None:
    """("zoom", "abs") for "param/zoom/abs", ("zoom", "") for "param/zoom"; None if not a param."""
    if not target.startswith(PARAM_PREFIX):
        return None
    rest = target[len(PARAM_PREFIX):]
    for suffix in (ABSOLUTE_SUFFIX, NUDGE_SUFFIX):
        if rest.endswith(suffix):
            return rest[: -len(suffix)], suffix[1:]
    return rest, ""


class ControlBus:
    """Many producers (OSC thread, analysis thread, keys), one consumer draining once per frame."""

    def __init__(self, capacity: int = 4096):
        self._queue: queue.SimpleQueue[ControlEvent] = queue.SimpleQueue()
        self._capacity = capacity
        self.dropped = 0

    def put(self, event: ControlEvent) -> bool:
        """Enqueue without blocking; when the consumer has fallen far behind, drop and count."""
        if self._queue.qsize() >= self._capacity:
            self.dropped += 1
            return False
        self._queue.put_nowait(event)
        return True

    def drain(self) -> list[ControlEvent]:
        """Everything queued so far, oldest first (render thread)."""
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events
