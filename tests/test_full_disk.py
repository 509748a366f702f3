"""A full disk under every file sink (telemetry, journal, recording, screenshot): the show goes on.

The sinks write into a real 2 MB tmpfs that fills up seconds into the show; snapshots on the
ordinary disk show that frames keep coming. SIGTERM must then end the show within 2 s.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import need_real
from vjengine.demo import drum_loop, write_wav


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB tmpfs, left with about 300 KB free (enough to start a show, not to keep it)."""
    mount = tmp_path / "full"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    need_real(mounted, "a tmpfs mount (mount -t tmpfs needs root)")
    try:
        (mount / "filler").write_bytes(bytes(2048 * 1024 - 300 * 1024))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_disk_under_every_sink_keeps_the_show_and_sigterm_ends_it_in_2s(make_style, tmp_path, small_disk):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    make_style("first", seed=4)
    track = write_wav(tmp_path / "groove.wav", drum_loop(124.0, 30.0))
    snaps = tmp_path / "snaps"
    snaps.mkdir()
    log = open(tmp_path / "engine.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "vjengine", "run", "--input", str(track), "--size", "160x90", "--fps", "30",
         "--styles", str(tmp_path / "styles"), "--no-osc", "--snapshots", str(snaps), "--snapshot-every", "10",
         "--telemetry", str(small_disk / "telemetry.jsonl"), "--journal", str(small_disk / "show.vjshow"),
         "--record", str(small_disk / "show.mp4"), "--screenshot", str(small_disk / "last.png")],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if "writing failed" in (tmp_path / "engine.log").read_text():
                break
            time.sleep(0.2)
        time.sleep(3.0)  # the disk is full: every sink has failed by now
        before = len(list(snaps.iterdir()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(list(snaps.iterdir())) < before + 3 and proc.poll() is None:
            time.sleep(0.2)
        assert proc.poll() is None, (tmp_path / "engine.log").read_text()[-3000:]
        assert len(list(snaps.iterdir())) >= before + 3  # frames keep coming (one snapshot per 10)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        took = time.monotonic() - stopped
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    text = (tmp_path / "engine.log").read_text()
    assert code == 0 and took < 2.0, (code, took, text[-3000:])
    assert "Traceback" not in text, text[-3000:]
    for sink in ("telemetry", "recorder", "journal"):
        lines = [line for line in text.splitlines() if line.startswith("ERROR") and sink in line]
        assert 1 <= len(lines) <= 2, (sink, lines)  # one when it fails, at most one more at the close
    assert not (small_disk / "show.mp4").exists() and not (small_disk / "show.vjshow").exists()


def test_recorder_on_a_full_disk_drops_everything_and_finishes_at_once(small_disk):
    """The recorder's writer fails alone: later frames and audio are dropped, not piled up, and
    finish() returns with one EncoderError instead of waiting on a dead thread."""
    import numpy as np

    from vjengine.render.encoder import EncoderError
    from vjengine.render.recorder import Recorder

    recorder = Recorder(small_disk / "rec.mp4", (320, 180), 30.0, 44100)
    noise = np.random.default_rng(0).integers(0, 255, (180, 320, 3), dtype=np.uint8)  # incompressible
    hop = np.zeros(512, dtype=np.float32)
    deadline = time.monotonic() + 60
    frame = 0
    while recorder.error is None and time.monotonic() < deadline:
        recorder.add_frame(noise, frame / 30.0)
        recorder.add_audio(hop)
        frame += 1
        time.sleep(0.005)
    assert recorder.error is not None and "No space left" in str(recorder.error)
    for i in range(2000):  # a minute of audio and more frames than the queue holds, after the failure
        recorder.add_audio(hop)
        recorder.add_frame(noise, (frame + i) / 30.0)
    time.sleep(0.5)
    assert recorder._audio.qsize() == 0 and recorder._frames.qsize() < 8
    started = time.monotonic()
    with pytest.raises(EncoderError):
        recorder.finish()
    assert time.monotonic() - started < 2.0
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
