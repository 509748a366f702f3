"""Faults during a show: the picture keeps coming, each fault is logged once, nothing is lost."""

import os
import shutil
import subprocess
import time
import uuid

import numpy as np
import pytest

from tests.conftest import need_program, need_real
from tests.live import LiveEngine, grab_window

ARGS = ("--input", "demo", "--size", "320x180", "--fps", "30")


@pytest.fixture
def styles(make_style, tmp_path):
    for i, slug in enumerate(("first", "second")):
        make_style(slug, seed=40 + i)
    return tmp_path / "styles"


def need_display():
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")


def frames_keep_coming(engine: LiveEngine, seconds: float = 2.0) -> None:
    before = engine.last()["frames"]
    time.sleep(seconds)
    assert engine.last()["frames"] > before + 5, engine.log_tail()


def test_active_style_deleted_then_restored_mid_show(styles, tmp_path):
    need_display()
    engine = LiveEngine(tmp_path, *ARGS, "--styles", str(styles))
    try:
        engine.wait_for(lambda r: r["frames"] > 10, 240, "rendering")
        backup = tmp_path / "backup"
        shutil.move(styles / "first", backup)
        engine.wait_for(lambda r: r["errors"].get("style load", 0) == 1, 10, "the deletion noticed")
        window = engine.window_id()
        picture = grab_window(window, tmp_path / "after.png")
        assert picture.std() > 5  # still the loaded style's picture
        frames_keep_coming(engine)
        assert engine.last()["errors"].get("style load") == 1  # logged once, not every poll
        assert engine.last()["style_a"] == "first"
        shutil.move(backup, styles / "first")
        time.sleep(2.5)
        assert engine.last()["errors"].get("style load") == 1
    finally:
        assert engine.stop() == 0
    log = engine.log_tail(400)
    assert log.count("style first changed on disk but cannot be used; keeping the loaded weights") == 1


def test_active_style_corrupted_mid_show_keeps_the_loaded_weights(styles, tmp_path):
    need_display()
    engine = LiveEngine(tmp_path, *ARGS, "--styles", str(styles))
    try:
        engine.wait_for(lambda r: r["frames"] > 10, 240, "rendering")
        weights = styles / "first" / "weights.safetensors"
        weights.write_bytes(weights.read_bytes()[:500])
        engine.wait_for(lambda r: r["errors"].get("style load", 0) == 1, 10, "the corruption noticed")
        frames_keep_coming(engine)
        assert engine.last()["errors"].get("frame", 0) == 0
    finally:
        assert engine.stop() == 0
    assert "not a readable safetensors file" in engine.log_tail(400)


def test_an_exception_inside_one_frame_is_logged_and_the_next_frame_renders(styles, tmp_path):
    need_display()
    os.environ["VJ_INJECT_FRAME_FAULT"] = "40"
    try:
        engine = LiveEngine(tmp_path, *ARGS, "--styles", str(styles))
    finally:
        del os.environ["VJ_INJECT_FRAME_FAULT"]
    try:
        record = engine.wait_for(lambda r: r["frames"] > 60, 240, "frames past the fault")
        assert record["errors"] == {"frame": 1}
        window = engine.window_id()
        first = grab_window(window, tmp_path / "a.png")
        time.sleep(0.5)
        second = grab_window(window, tmp_path / "b.png")
        assert np.abs(first - second).mean() > 0.5  # still animating
    finally:
        assert engine.stop() == 0
    log = engine.log_tail(400)
    assert log.count("frame failed; showing the last good frame") == 1
    assert "fault injected into frame 40" in log


def jack_backend():
    """mido's JACK backend for the test's own controller port (skip, or fail under VJ_REQUIRE_REAL=1)."""
    import mido

    running = subprocess.run([need_program("jack_lsp")], capture_output=True, timeout=10).returncode == 0
    need_real(running, "a running JACK server (jackd)")
    return mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)


def test_midi_port_lost_and_returned_mid_show_resumes_midi(styles, tmp_path):
    import mido

    need_display()
    jack = jack_backend()
    name = f"vjfault{uuid.uuid4().hex[:8]}"
    controller = jack.open_output(name, virtual=True)
    engine = LiveEngine(tmp_path, *ARGS, "--styles", str(styles), "--midi", name, "--midi-api", "jack")
    try:
        engine.wait_for(lambda r: r["frames"] > 10 and r["control"]["midi_ports"] == 1, 240, "MIDI port open")

        def moved_to(value: float):
            def check(record):
                knob = 127 if value > 1 else 0  # the generic map's zoom knob, sent again and again
                controller.send(mido.Message("control_change", control=22, value=knob))
                return record["params"]["zoom"] == value
            return check

        engine.wait_for(moved_to(4.0), 10, "zoom from the first port")
        controller.close()
        engine.wait_for(lambda r: r["control"]["midi_ports"] == 0, 10, "the lost port noticed")
        frames_keep_coming(engine)
        assert engine.last()["errors"] == {}
        controller = jack.open_output(name, virtual=True)
        engine.wait_for(lambda r: r["control"]["midi_ports"] == 1, 10, "the port reopened")
        engine.wait_for(moved_to(0.25), 5, "zoom from the returned port")
    finally:
        controller.close()
        assert engine.stop() == 0
    lines = engine.log_tail(400).splitlines()
    assert sum("MIDI port gone:" in line and name in line for line in lines) == 1
    assert sum("MIDI port open:" in line and name in line for line in lines) == 2
