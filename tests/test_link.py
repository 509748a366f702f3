"""Ableton Link: the engine and a second Link peer agree on tempo (both ways), beat and bar phase,
and a quantised transition starts on the session's bar."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import threading
import time

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from tests.conftest import need_real
from tests.live import LiveEngine
from tests.netns import loopback_only
from vjengine.audio.features import AudioFeatures
from vjengine.clock import PerfClock
from vjengine.control.link import LinkTempo
from vjengine.control.tempo import TempoEngine
from vjengine.demo import write_wav
from vjengine.control.transitions import ease

QUANTUM = 4


def need_aalink() -> None:
    need_real(importlib.util.find_spec("aalink") is not None, "aalink (pip install aalink)")


@pytest.fixture
def private_network():
    """Link's multicast discovery stays on loopback: the peers here find only each other."""
    with loopback_only():
        yield


class Peer:
    """Another Link app on this machine: its own peer, on its own asyncio loop thread."""

    def __init__(self, bpm: float):
        import aalink

        async def join():
            link = aalink.Link(bpm)
            link.quantum = QUANTUM
            link.enabled = True
            return link

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.link = asyncio.run_coroutine_threadsafe(join(), self.loop).result(5)

    def beat_at(self, perf: float) -> float:
        """The session's beat at a time.perf_counter() moment (the tempo held since then)."""
        beat, now = self.link.beat, time.perf_counter()
        return beat + (perf - now) * self.link.tempo / 60.0

    def close(self) -> None:
        self.link.enabled = False
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def bar_offset_ms(position: float, session_beat: float, bpm: float) -> float:
    """How far the show's bar phase is from the session's, in milliseconds."""
    beats = (position - session_beat + QUANTUM / 2) % QUANTUM - QUANTUM / 2
    return 1000.0 * beats * 60.0 / bpm


def wait(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def analysis_at(t: float, bpm: float) -> AudioFeatures:
    """What the audio analysis would publish at t for a steady beat from time 0."""
    period = 60.0 / bpm
    return AudioFeatures(t=t, bpm=bpm, beat_t=t - t % period, beat_count=int(t / period),
                         tempo_source="aubio")


def run_frames(engine: TempoEngine, clock: PerfClock, seconds: float, bpm: float = 100.0) -> list:
    """Frames at 60 fps in real time, each drawn 50 ms ahead: (perf time shown, position, features)."""
    frames, end = [], clock.now() + seconds
    while clock.now() < end:
        t = clock.now() + 0.05
        features = engine.update(t, analysis_at(t, bpm))
        frames.append((time.perf_counter() + 0.05, engine.position, features))
        time.sleep(1 / 60)
    return frames


def test_link_leads_with_peers_carries_tempo_both_ways_and_lines_up_the_bars(private_network):
    need_aalink()
    clock = PerfClock()
    link = LinkTempo(clock, QUANTUM)
    engine = TempoEngine(link)
    link.start()
    peer = None
    try:
        frames = run_frames(engine, clock, 0.5)  # alone in the session: the analysis leads
        assert frames[-1][2].tempo_source == "aubio" and frames[-1][2].bpm == 100.0
        peer = Peer(120.0)
        wait(lambda: link.reading(clock.now()) is not None, "the engine seeing the peer")
        peer.link.tempo = 133.0
        wait(lambda: abs(link.reading(clock.now()).bpm - 133.0) < 0.01, "the peer's tempo arriving")
        engine.manual.set_bpm(97.0)  # from OSC: below Link, but proposed to the session
        frames += run_frames(engine, clock, 1.0)
        assert abs(peer.link.tempo - 97.0) < 0.01
        engine.position += 1.0  # a show whose beat count is one off the session's bars
        frames += run_frames(engine, clock, 4.0)  # the phase pull settles within a few beats
        assert frames[-1][2].tempo_source == "link" and abs(frames[-1][2].bpm - 97.0) < 0.01
        positions = [p for _, p, _ in frames]
        assert all(b >= a for a, b in zip(positions, positions[1:], strict=False))  # never backwards
        perf, position, features = frames[-1]
        assert abs(bar_offset_ms(position, peer.beat_at(perf), features.bpm)) < 1.0
    finally:
        link.close()
        if peer is not None:
            peer.close()


# -- the live engine and a peer ---------------------------------------------------------------------

@pytest.fixture
def styles(make_style, tmp_path):
    for i, slug in enumerate(("first", "second")):
        make_style(slug, seed=60 + i)
    return tmp_path / "styles"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def transition_start(record: dict, beats: float) -> float:
    """The beat position a running transition started at, from its crossfade and the position."""
    grid = np.linspace(0.0, 1.0, 100001)
    progress = float(np.interp(record["xfade"], [ease(x) for x in grid], grid))
    return record["control"]["beat_position"] - progress * beats


def test_live_engine_and_a_link_peer_share_tempo_phase_and_bars(styles, private_network, tmp_path):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    need_aalink()
    silence = write_wav(tmp_path / "silence.wav", np.zeros(44100 * 2, dtype=np.float32))
    port = free_udp_port()
    engine = LiveEngine(tmp_path, "--input", str(silence), "--size", "320x180", "--fps", "30",
                        "--styles", str(styles), "--link", "--osc-port", str(port))
    peer = Peer(120.0)
    osc = SimpleUDPClient("127.0.0.1", port)
    try:
        engine.wait_for(lambda r: r["frames"] > 10 and r["control"].get("link_peers", 0) >= 1, 240,
                        "rendering, with the peer in the Link session")
        peer.link.tempo = 133.0  # the peer's change reaches the engine
        engine.wait_for(lambda r: r["tempo_source"] == "link" and abs(r["bpm"] - 133.0) < 0.01, 10,
                        "the peer's 133 BPM")
        osc.send_message("/vj/tempo", 97.0)  # ours reaches the peer
        wait(lambda: abs(peer.link.tempo - 97.0) < 0.01, "the engine's 97 BPM at the peer")
        engine.wait_for(lambda r: abs(r["bpm"] - 97.0) < 0.01, 10, "97 BPM in the engine")
        time.sleep(3.0)  # the show's phase settles onto the session's within a few beats
        for _ in range(8):
            record = engine.last()
            link = record["control"]
            offset = bar_offset_ms(link["beat_position"], peer.beat_at(link["link_frame_perf"]), 97.0)
            assert abs(offset) < 1.0, f"bar phase {offset:.3f} ms off the session's"
            time.sleep(0.25)
        osc.send_message("/vj/transition", ["second", 8.0])  # on the next bar, over 8 beats
        during = engine.wait_for(lambda r: 0.05 < r["xfade"] < 0.95, 15, "the transition running")
        start = transition_start(during, 8.0)
        assert start > link["beat_position"] and abs(start - QUANTUM * round(start / QUANTUM)) < 0.02
        engine.wait_for(lambda r: r["xfade"] == 1.0 and r["style_b"] == "second", 15,
                        "the transition done")
    finally:
        peer.close()
        assert engine.stop() == 0
    assert "Link: joined the session" in engine.log_tail(400)
