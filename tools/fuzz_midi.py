"""Fuzz target for the MIDI door: raw byte streams into the engine's MIDI handling and tempo.

Bytes reach the engine two ways, and both are fed: whole streams cut into messages by mido's
parser (running status, sysex, realtime bytes interleaved, truncated messages), and arbitrary
byte lists such as a MIDI system may hand over as one message (`midi.parse`). Each message gets
an arrival time from a fuzzed sequence of gaps (clock floods, bursts, stalls).

The contract: every message becomes an event or is counted as ignored; no exception leaves
`ControlState.handle`; after every frame each parameter is finite and inside its schema range,
the tempo is 0 or inside MIN_BPM..MAX_BPM, and the beat position is finite and never runs back.
"""

from __future__ import annotations

import math

import mido
from hypothesis import strategies as st

from vjengine.audio.features import AudioFeatures
from vjengine.control.midi import parse
from vjengine.control.midimap import MidiMapLibrary, MidiMapper
from vjengine.control.params import PARAMS
from vjengine.control.presets import PresetLibrary
from vjengine.control.state import ControlState
from vjengine.control.tempo import MAX_BPM, MIN_BPM
from vjengine.paths import PRESETS

PORTS = ("nanoKONTROL2 SLIDER/KNOB", "APC MINI", "Launch Control XL", "Some Keyboard MIDI 1")
FRAME_SECONDS = 1 / 60


class MidiTarget:
    """A ControlState with the shipped MIDI maps and presets, fed by hand frame by frame."""

    def __init__(self):
        self.state = ControlState(presets=PresetLibrary(PRESETS),
                                  midi=MidiMapper(MidiMapLibrary(PRESETS / "midi")))
        self.t = 0.0
        self.position = 0.0

    def run(self, port: str, messages: list[list[int]], gaps: list[float]) -> dict[str, int]:
        """Feed each message at its time, a frame whenever a frame's time has passed; returns counts."""
        counts = {"events": 0, "ignored": 0}
        next_frame = self.t + FRAME_SECONDS
        for i, data in enumerate(messages):
            self.t += gaps[i % len(gaps)]
            event = parse(port, data, self.t)
            if event is None:
                counts["ignored"] += 1
            else:
                counts["events"] += 1
                self.state.handle(event)
            if self.t >= next_frame:
                self.frame()
                next_frame = self.t + FRAME_SECONDS
        self.t += FRAME_SECONDS
        self.frame()
        return counts

    def frame(self) -> None:
        frame = self.state.update(self.t, AudioFeatures())
        for spec in PARAMS:
            value = frame.params[spec.name]
            assert math.isfinite(value) and spec.lo <= value <= spec.hi, (spec.name, value)
            target = self.state.params.target[spec.name]
            assert math.isfinite(target) and spec.lo <= target <= spec.hi, (spec.name, target)
        bpm = frame.features.bpm
        assert math.isfinite(bpm) and (bpm == 0 or MIN_BPM <= bpm <= MAX_BPM), bpm
        assert math.isfinite(frame.position) and frame.position >= self.position, frame.position
        self.position = frame.position


def stream_messages(stream: bytes) -> list[list[int]]:
    """A byte stream cut into messages by mido's parser."""
    parser = mido.Parser()
    parser.feed(stream)
    return [message.bytes() for message in parser]


data_byte = st.integers(0, 127)
status = st.integers(0x80, 0xFF)


@st.composite
def message_bytes(draw) -> list[int]:
    """One message's bytes, well-formed or not: notes and CCs anywhere in range, sysex, realtime."""
    kind = draw(st.sampled_from(["cc", "note", "clock", "transport", "sysex", "any", "truncated", "long"]))
    channel = draw(st.integers(0, 15))
    if kind == "cc":
        return [0xB0 | channel, draw(data_byte), draw(data_byte)]
    if kind == "note":
        return [draw(st.sampled_from([0x80, 0x90])) | channel, draw(data_byte), draw(data_byte)]
    if kind == "clock":
        return [0xF8]
    if kind == "transport":
        return [draw(st.sampled_from([0xFA, 0xFB, 0xFC, 0xFE, 0xFF]))]
    if kind == "sysex":
        return [0xF0, *draw(st.lists(data_byte, max_size=40)), *draw(st.sampled_from([[0xF7], []]))]
    if kind == "truncated":
        return [draw(status), *draw(st.lists(data_byte, max_size=1))]
    if kind == "long":
        return [draw(status), *draw(st.lists(st.integers(0, 255), min_size=3, max_size=300))]
    return draw(st.lists(st.integers(0, 255), max_size=4))


@st.composite
def streams(draw) -> list[list[int]]:
    """A raw stream (running status, realtime bytes inside messages, junk) cut by mido's parser."""
    parts = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["message", "running", "realtime", "junk", "clock-flood"]))
        if kind == "message":
            parts += draw(message_bytes())
        elif kind == "running":  # data bytes after a status: running status
            parts += draw(st.lists(data_byte, min_size=1, max_size=8))
        elif kind == "realtime":
            parts.insert(draw(st.integers(0, len(parts))), 0xF8)
        elif kind == "junk":
            parts += draw(st.lists(st.integers(0, 255), max_size=8))
        else:
            parts += [0xF8] * draw(st.integers(24, 600))
    return stream_messages(bytes(parts))


gap = st.one_of(st.sampled_from([0.0, 1e-9, 1e-6, 60 / (128 * 24), 60 / (20 * 24), 60 / (300 * 24), 0.5,
                                 0.51, 10.0, 1e6]),
                st.floats(0.0, 2.0))


def cases():
    """(port, messages, gaps): messages from a parsed stream or as raw byte lists."""
    messages = st.one_of(streams(), st.lists(message_bytes(), min_size=1, max_size=60))
    return st.tuples(st.sampled_from(PORTS), messages, st.lists(gap, min_size=1, max_size=8))
