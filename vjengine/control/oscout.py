"""OSC sent by the render thread: the show's features for other software, and feedback to faders.

Each destination gets at most one bundle per frame, from a non-blocking socket; a failed send is
counted and never waited on.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from vjengine.audio import scale
from vjengine.audio.features import AudioFeatures
from vjengine.control.osc import OscCommand, message
from vjengine.control.params import SPECS
from vjengine.errors import InputError

log = logging.getLogger(__name__)

OUT_COMMANDS: tuple[OscCommand, ...] = (
    OscCommand("/vj/out/beat", "i", "on each beat of the active tempo source: the beat count"),
    OscCommand("/vj/out/onset", "i", "on each onset: the onset count"),
    OscCommand("/vj/out/tempo", "f s", "when the tempo or its source changes: BPM and source name"),
    OscCommand("/vj/out/bands", "f f f",
               "every frame: bass, mid, treble 0..1 (0.5 = their running average)"),
    OscCommand("/vj/out/level", "f", "every frame: loudness 0..1 (-60 dB -> 0, 0 dB -> 1)"),
    OscCommand("/vj/out/energy", "f", "every frame: loudness against the song's loud parts, 0..1"),
    OscCommand("/vj/out/phase", "f", "every frame: position within the beat, 0..1"),
    OscCommand("/vj/out/section", "i f s",
               "on each new song section: its index, start (stream seconds) and kind (drop, breakdown, change)"),
    OscCommand("/vj/out/energy_class", "s", "when the music's energy class changes: low, mid or high"),
)


def parse_target(text: str, option: str) -> tuple[str, int]:
    """HOST:PORT (e.g. 127.0.0.1:9001) resolved once to an address, or a one-line InputError."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InputError(f"{option} {text!r}: expected HOST:PORT such as 127.0.0.1:9001")
    try:
        info = socket.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise InputError(f"{option} {text!r}: cannot resolve {host!r} ({exc.strerror})") from None
    return info[0][4][:2]


class OscSender:
    """One UDP destination; sends a frame's messages as one bundle (render thread)."""

    def __init__(self, address: tuple[str, int]):
        self.address = address
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self.sent = 0
        self.failed = 0

    def send(self, builders: list[OscMessageBuilder]) -> None:
        if not builders:
            return
        bundle = OscBundleBuilder(IMMEDIATELY)
        for builder in builders:
            bundle.add_content(builder.build())
        try:
            self._socket.sendto(bundle.build().dgram, self.address)
            self.sent += 1
        except OSError as exc:
            if not self.failed:
                log.warning("OSC: sending to %s:%d failed (%s); failures are counted", *self.address, exc)
            self.failed += 1

    def close(self) -> None:
        self._socket.close()


class FeatureOut:
    """--osc-out: the show's beat, onsets, tempo, and its features on the one scale (audio.scale)."""

    def __init__(self, sender: OscSender):
        self.sender = sender
        self._beat_count: int | None = None
        self._onset_count: int | None = None
        self._tempo: tuple[float, str] | None = None
        self._section = 0
        self._energy_class: str | None = None

    def frame(self, features: AudioFeatures, t: float) -> None:
        """Send this frame's messages; `features` carry the active tempo source (render thread)."""
        builders = []
        if self._beat_count is not None and features.beat_count != self._beat_count and features.bpm > 0:
            builders.append(message("/vj/out/beat", int(features.beat_count)))
        if self._onset_count is not None and features.onset_count != self._onset_count:
            builders.append(message("/vj/out/onset", int(features.onset_count)))
        tempo = (round(features.bpm, 1), features.tempo_source)
        if tempo != self._tempo:
            builders.append(message("/vj/out/tempo", float(tempo[0]), tempo[1]))
        self._beat_count, self._onset_count, self._tempo = features.beat_count, features.onset_count, tempo
        if features.section != self._section:
            self._section = features.section
            builders.append(message("/vj/out/section", int(features.section), float(features.section_start),
                                    features.section_kind))
        if features.energy_class != self._energy_class:
            self._energy_class = features.energy_class
            builders.append(message("/vj/out/energy_class", features.energy_class))
        values = scale.scaled(features, t)
        builders += [
            message("/vj/out/bands", values["bass"], values["mid"], values["treble"]),
            message("/vj/out/level", values["level"]),
            message("/vj/out/energy", values["energy"]),
            message("/vj/out/phase", float(values["phase"])),
        ]
        self.sender.send(builders)


class Feedback:
    """--osc-feedback: every state change, whatever its source, sent to the addresses that make it,
    so faders follow (control.changes.Changes). Within a frame the last value per address wins."""

    def __init__(self, sender: OscSender):
        self.sender = sender
        self._pending: dict[str, tuple[Any, ...]] = {}

    def _changed(self, address: str, *values: Any) -> None:
        self._pending[address] = values

    def param(self, name: str, value: float) -> None:
        self._changed(f"/vj/param/{name}", SPECS[name].to_normalised(value))
        if name == "xfade":
            self._changed("/vj/xfade", float(value))

    def style(self, deck: str, slug: str | None) -> None:
        self._changed(f"/vj/style/{deck}", slug or "")

    def preset(self, name: str) -> None:
        self._changed("/vj/preset", name)

    def learning(self, param: str) -> None:
        self._changed("/vj/learn", param)

    def tempo(self, bpm: float, source: str) -> None:
        self._changed("/vj/tempo", bpm)
        self._changed("/vj/tempo/source", source)

    def frame_done(self) -> None:
        """Send this frame's changes as one bundle (render thread)."""
        if self._pending:
            self.sender.send([message(address, *values) for address, values in self._pending.items()])
            self._pending.clear()
