"""MIDI input ports: open by name substring, hot-plug, drained once per frame with `iter_pending()`.

Ports are python-rtmidi inputs polled from their own C++ queue, and mido parses the bytes.
mido's rtmidi backend is not used for input because it always installs a Python callback, which
JACK runs in its process thread: under load that thread waits for the GIL and JACK reports xruns
(measured here). Polling keeps Python out of the MIDI system's threads, and RtMidi's per-message
delta times keep MIDI clock ticks' spacing exact even when frames are slow.

Listing ports reuses one client (microseconds), but opening a port creates a MIDI client, which
holds the GIL for ~0.1 s; a watcher thread does the listing and opening every few seconds, so the
render thread only ever polls.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import mido
import rtmidi

from vjengine.clock import Clock
from vjengine.control import events
from vjengine.control.events import ControlEvent

log = logging.getLogger(__name__)

APIS = {"alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK,
        "coremidi": rtmidi.API_MACOSX_CORE, "winmm": rtmidi.API_WINDOWS_MM}
RESCAN_SECONDS = 2.0
QUEUE_SIZE = 4096  # messages RtMidi holds per port between two frames
OFFSET_RELAX = 1e-3  # seconds per second the port-time offset may grow (clock drift)
REALTIME = {"clock": events.MIDI_CLOCK, "start": events.MIDI_START, "stop": events.MIDI_STOP,
            "continue": events.MIDI_CONTINUE}


def resolve_api(name: str) -> int:
    """The RtMidi API for "auto" (ALSA if its sequencer exists on Linux, else JACK) or a name."""
    if name == "auto":
        if sys.platform.startswith("linux"):
            return rtmidi.API_LINUX_ALSA if Path("/dev/snd/seq").exists() else rtmidi.API_UNIX_JACK
        return rtmidi.API_UNSPECIFIED
    return APIS[name]


@dataclass
class MidiCounters:
    """What the HUD shows about MIDI input."""

    ports: int = 0  # ports open now
    messages: int = 0  # messages turned into events
    ignored: int = 0  # types the show does not use (pitch bend, note-off, ...) or unparsable bytes
    errors: int = 0  # failures listing or opening ports

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def wanted(port: str, patterns: Sequence[str]) -> bool:
    """Whether a port name contains one of the patterns (case-insensitive); "all" takes every port."""
    name = port.lower()
    return any(p == "all" or p.lower() in name for p in patterns)


def to_event(port: str, message: mido.Message, t: float) -> ControlEvent | None:
    """The raw ControlEvent for a message, or None for a type the show does not use."""
    source = f"midi:{port}"
    if message.type == "control_change":
        return ControlEvent(events.MIDI_CC, (port, message.channel, message.control, message.value),
                            source, t)
    if message.type == "note_on" and message.velocity > 0:
        return ControlEvent(events.MIDI_NOTE, (port, message.channel, message.note, message.velocity),
                            source, t)
    target = REALTIME.get(message.type)
    return None if target is None else ControlEvent(target, None, source, t)


def parse(port: str, data: list[int], t: float) -> ControlEvent | None:
    """The raw ControlEvent for one message's bytes as RtMidi delivers them; None for bytes mido
    cannot parse (a truncated message, a data byte above 127) or a type the show does not use."""
    try:
        return to_event(port, mido.Message.from_bytes(data), t)
    except (ValueError, IndexError):  # mido indexes past a truncated song position or quarter frame
        return None


class _Port:
    """One open input and the mapping from its RtMidi time onto the engine clock."""

    def __init__(self, name: str, midi_in: rtmidi.MidiIn):
        self.name = name
        self.midi_in = midi_in
        self._port_time = 0.0  # sum of RtMidi's delta times: port time of the last message
        self._offset: float | None = None  # engine time minus port time
        self._last_poll = 0.0

    def poll(self, now: float) -> list[tuple[float, list[int]]]:
        """Messages queued since the last poll, with their arrival time on the engine clock.

        Arrival is never after the poll, so the smallest (poll - port time) seen is the best
        offset between the two clocks; it may grow slowly to follow drift.
        """
        batch = []
        while (item := self.midi_in.get_message()) is not None:
            data, delta = item
            self._port_time += delta
            batch.append((self._port_time, data))
        if not batch:
            return []
        candidate = now - batch[-1][0]
        if self._offset is None:
            self._offset = candidate
        else:
            self._offset = min(self._offset + OFFSET_RELAX * (now - self._last_poll), candidate)
        self._last_poll = now
        return [(port_time + self._offset, data) for port_time, data in batch]

    def close(self) -> None:
        self.midi_in.close_port()
        self.midi_in.delete()


class MidiInput:
    """Every MIDI input whose name matches a pattern, opened and reopened as devices come and go."""

    def __init__(self, patterns: Sequence[str], clock: Clock, api: str = "auto",
                 rescan_seconds: float = RESCAN_SECONDS):
        if api not in APIS and api != "auto":
            raise ValueError(f"MIDI API {api!r}: expected auto or one of {', '.join(APIS)}")
        self.patterns = tuple(patterns)
        self.counters = MidiCounters()
        self._clock = clock
        self._api = api
        self._rescan = rescan_seconds
        self._lister: rtmidi.MidiIn | None = None
        self._ports: tuple[_Port, ...] = ()  # replaced, never mutated: the render thread reads it
        self._lock = threading.Lock()  # held while polling and while closing a port
        self._stop = threading.Event()
        self._scanned = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error = ""

    def start(self) -> None:
        """Start the watcher thread; the first scan runs at once."""
        self._thread = threading.Thread(target=self._watch, name="midi-ports", daemon=True)
        self._thread.start()

    def wait_scanned(self, timeout: float) -> bool:
        """Block until the first scan is done (startup and tests, never the render loop)."""
        return self._scanned.wait(timeout)

    @property
    def open_ports(self) -> list[str]:
        return [port.name for port in self._ports]

    def iter_pending(self) -> Iterator[ControlEvent]:
        """Raw MIDI events received since the last call, each port's oldest first (render thread)."""
        now = self._clock.now()
        with self._lock:
            batches = [(port.name, port.poll(now)) for port in self._ports]
        for name, batch in batches:
            for t, data in batch:
                event = parse(name, data, t)
                if event is None:
                    self.counters.ignored += 1
                    continue
                self.counters.messages += 1
                yield event

    def _error(self, message: str) -> None:
        self.counters.errors += 1
        if message != self._last_error:  # log each distinct failure once, count all
            log.warning("%s", message)
            self._last_error = message

    def _open(self, name: str, index: int) -> _Port | None:
        try:
            midi_in = rtmidi.MidiIn(resolve_api(self._api), "vjengine", QUEUE_SIZE)
            midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
            midi_in.open_port(index, "in")
        except rtmidi.RtMidiError as exc:
            self._error(f"MIDI: cannot open {name!r} ({exc})")
            return None
        log.info("MIDI port open: %s", name)
        return _Port(name, midi_in)

    def scan(self) -> None:
        """List ports; open new matching ones, close vanished ones (watcher thread)."""
        try:
            if self._lister is None:
                self._lister = rtmidi.MidiIn(resolve_api(self._api), "vjengine-ports")
            names = self._lister.get_ports()
        except rtmidi.RtMidiError as exc:  # no MIDI system: MIDI waits, the show goes on
            self._lister = None
            self._error(f"MIDI: cannot list input ports ({exc})")
            return
        kept = tuple(port for port in self._ports if port.name in names)
        gone = [port for port in self._ports if port.name not in names]
        known = {port.name for port in kept}
        opened = tuple(port for index, name in enumerate(names)
                       if name not in known and wanted(name, self.patterns)
                       for port in [self._open(name, index)] if port is not None)
        self._ports = kept + opened
        with self._lock:
            for port in gone:
                log.info("MIDI port gone: %s", port.name)
                port.close()
        self.counters.ports = len(self._ports)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.scan()
            self._scanned.set()
            self._stop.wait(self._rescan)

    def close(self) -> None:
        """Stop the watcher and close every port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            for port in self._ports:
                port.close()
            self._ports = ()
        if self._lister is not None:
            self._lister.delete()
        self.counters.ports = 0
