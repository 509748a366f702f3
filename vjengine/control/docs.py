"""The README's OSC address table and MIDI map summary, rendered as Markdown from the schema."""

from __future__ import annotations

from vjengine.control.midimap import MidiMap, MidiMapLibrary
from vjengine.control.osc import COMMANDS, OscCommand
from vjengine.control.oscout import OUT_COMMANDS
from vjengine.control.params import PARAMS, ParamSpec
from vjengine.control.presets import PresetError

OSC_MARKERS = ("<!-- osc-table:start -->", "<!-- osc-table:end -->")
MIDI_MARKERS = ("<!-- midi-table:start -->", "<!-- midi-table:end -->")


def _commands(commands: tuple[OscCommand, ...]) -> list[str]:
    lines = ["| address | arguments | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{c.address}` | {c.arguments or '-'} | {c.description} |" for c in commands]
    return lines


def _range(spec: ParamSpec) -> str:
    text = f"{spec.lo:g} .. {spec.hi:g}"
    if spec.integer:
        text += ", whole"
    if spec.curve != "linear":
        text += f", {spec.curve}"
    return text


def osc_table() -> str:
    """The incoming addresses, the parameters behind `<name>`, and the --osc-out messages."""
    lines = ["Incoming (default 127.0.0.1:9000):", ""] + _commands(COMMANDS)
    lines += ["", "Parameters (`<name>`): 0..1 on `/vj/param/<name>` maps onto the range; "
              "smoothing is the time to move 63% of the way to a new value.", "",
              "| name | range | default | smoothing (s) | meaning |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| `{s.name}` | {_range(s)} | {s.default:g} | {s.smoothing:g} | {s.description} |"
              for s in PARAMS]
    lines += ["", "Outgoing with `--osc-out HOST:PORT` (one bundle per frame):", ""]
    lines += _commands(OUT_COMMANDS)
    return "\n".join(lines)


def _numbers(table: dict[int, str]) -> str:
    return ", ".join(f"{number} {value}" for number, value in sorted(table.items())) or "-"


def midi_table(library: MidiMapLibrary) -> str:
    """One row per shipped MIDI map: which ports it fits and what each CC and note does."""
    lines = ["| map | ports matched | CC -> parameter | buttons (CC) | notes |",
             "| --- | --- | --- | --- | --- |"]
    for name, entry in library.entries():
        if isinstance(entry, PresetError):
            raise entry
        midi_map: MidiMap = entry
        match = ", ".join(f"`{m}`" for m in midi_map.match) or "(default map)"
        lines.append(f"| `{name}` ({midi_map.name}) | {match} | {_numbers(midi_map.cc)} | "
                     f"{_numbers(midi_map.buttons)} | {_numbers(midi_map.notes)} |")
    return "\n".join(lines)


def between(text: str, markers: tuple[str, str]) -> str:
    """The text between a pair of markers, without surrounding blank lines."""
    start, end = markers
    if start not in text or end not in text:
        raise ValueError(f"markers {start} ... {end} not found")
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")
