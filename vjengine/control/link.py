"""Ableton Link: this engine as a peer of a Link session, as a tempo source and a tempo proposer."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import threading
import time
from dataclasses import dataclass

from vjengine.clock import Clock
from vjengine.control.tempo import FALLBACK_BPM, TempoReading

log = logging.getLogger(__name__)

JOIN_TIMEOUT = 5.0  # seconds to wait for the Link thread to create the session object


def add_link_options(group: argparse._ArgumentGroup) -> None:
    """Add --link to the control options."""
    group.add_argument("--link", action="store_true",
                       help="join the Ableton Link session on the local network: its tempo and bar "
                            "phase lead while it has other peers; tap and /vj/tempo are proposed to it")


@dataclass(frozen=True)
class LinkStatus:
    """The session as read on the last frame (HUD and telemetry)."""

    peers: int = 0
    bpm: float = 0.0
    phase: float = 0.0  # position in the session's bar (0..quantum beats) at the frame time
    frame_perf: float = 0.0  # time.perf_counter() of the moment the frame time stands for


class LinkTempo:
    """A peer of the Link session; a tempo source (TempoEngine.session) while others are in it.

    aalink delivers its callbacks on an asyncio loop, which runs on a thread of its own ("link");
    the render thread only reads the session state once per frame (a few microseconds) and writes
    a tempo when the performer sets one. Link's own network threads belong to its library.
    """

    name = "link"

    def __init__(self, clock: Clock, quantum: int, bpm: float = FALLBACK_BPM):
        self.clock = clock
        self.quantum = quantum
        self.bpm = bpm
        self.status = LinkStatus()
        self._link = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Join the session: start the Link thread and enable Link on it."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="link", daemon=True)
        self._thread.start()
        self._link = asyncio.run_coroutine_threadsafe(self._join(), self._loop).result(JOIN_TIMEOUT)
        log.info("Link: joined the session (quantum %d beats)", self.quantum)

    async def _join(self):
        """Create and enable the Link peer (link thread: aalink binds its callbacks to this loop)."""
        import aalink

        link = aalink.Link(self.bpm)
        link.quantum = self.quantum
        link.set_num_peers_callback(self._peers_changed)
        link.enabled = True
        return link

    def _peers_changed(self, peers: int) -> None:
        """Link thread: log the session's size as it changes."""
        log.info("Link: %d other peer%s in the session", peers, "" if peers == 1 else "s")

    def reading(self, t: float) -> TempoReading | None:
        """The session's tempo and beat at frame time t, while it has other peers (render thread)."""
        link = self._link
        if link is None:
            return None
        now = self.clock.now()
        beat, perf = link.beat, time.perf_counter()
        bpm, peers = link.tempo, link.num_peers
        ahead = t - now  # the frame time is ahead of now by the render latency
        beat += ahead * bpm / 60.0
        self.status = LinkStatus(peers, bpm, beat % self.quantum, perf + ahead)
        if peers == 0:
            return None
        return TempoReading(bpm, beat, self.name, steady=True, quantum=self.quantum)

    def propose(self, bpm: float) -> None:
        """Set the session's tempo to ours (render thread); the peers follow it."""
        if self._link is not None and bpm > 0:
            self._link.tempo = bpm
            log.info("Link: proposed %.2f BPM to the session", bpm)

    def close(self) -> None:
        """Leave the session and stop the Link thread."""
        if self._link is not None:
            self._link.enabled = False
            self._link = None
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=JOIN_TIMEOUT)
            if not self._loop.is_running():
                self._loop.close()
            self._loop = self._thread = None


def build_link(args: argparse.Namespace, clock: Clock) -> LinkTempo | None:
    """The Link peer for --link (not started), or None; a missing aalink is one log line."""
    if not getattr(args, "link", False):
        return None
    if importlib.util.find_spec("aalink") is None:
        log.error("--link: the aalink package is not installed (pip install aalink); Link is off")
        return None
    return LinkTempo(clock, args.beats_per_bar)
