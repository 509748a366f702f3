"""The live engine as a VJ runs it: a real window on Xvfb, real line-in from PulseAudio, real keys."""

import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import need_real
from tests.live import LiveEngine, grab_window, need_display_and_pulse, play
from vjengine.demo import drum_loop, write_wav
from vjengine.render.timing import STAGES

REPO = Path(__file__).resolve().parent.parent
ENGINE_ARGS = ("--input", "pulse", "--size", "320x180", "--fps", "30", "--render-scale", "0.25")


@pytest.fixture
def styles(make_style, tmp_path):
    for i, slug in enumerate(("first", "second", "third")):
        make_style(slug, seed=20 + i)
    return tmp_path / "styles"


@pytest.fixture(scope="module")
def groove_120(tmp_path_factory):
    return write_wav(tmp_path_factory.mktemp("audio") / "groove120.wav", drum_loop(120.0, 24.0))


def warm(engine: LiveEngine) -> dict:
    """Wait until frames flow (the first frames include compiling the CPU kernel)."""
    return engine.wait_for(lambda r: r.get("frames", 0) > 10, 240, "rendering frames")


def test_line_in_drives_tempo_onsets_and_a_moving_picture(styles, groove_120, tmp_path):
    need_display_and_pulse()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--styles", str(styles))
    try:
        warm(engine)
        player = play(groove_120)
        record = engine.wait_for(lambda r: r["onsets"] > 10 and abs(r["bpm"] - 120) / 120 < 0.03,
                                 25, "120 BPM within 3% and onsets from line-in")
        assert record["input"] == "live" and record["level"] > 0.01
        window = engine.window_id()
        first = grab_window(window, tmp_path / "a.png")
        time.sleep(1.0)
        second = grab_window(window, tmp_path / "b.png")
        assert first.shape == (180, 320, 3)
        assert first.std() > 5 and second.std() > 5  # a picture, not a flat field
        assert np.abs(first - second).mean() > 1.0  # and it moves
        player.kill()
    finally:
        assert engine.stop() == 0


def test_keys_change_style_slot_and_toggle_the_hud(styles, tmp_path):
    need_display_and_pulse()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--styles", str(styles))
    try:
        record = warm(engine)
        assert record["hud"] is False and record["style_a"] == "first"
        window = engine.window_id()
        plain = grab_window(window, tmp_path / "plain.png")
        engine.key("h")
        engine.wait_for(lambda r: r["hud"] is True, 10, "HUD shown after H")
        time.sleep(0.5)
        with_hud = grab_window(window, tmp_path / "hud.png")
        panel = (slice(12, 60), slice(12, 300))
        assert with_hud[panel].mean() < plain[panel].mean()  # the dark HUD panel is drawn
        engine.key("2")  # a transition to slot 2, starting on the next bar, over the scene's beats
        engine.wait_for(lambda r: r["style_b"] == "second" and r["xfade"] == 1.0, 20,
                        "slot 2 crossfades to style 'second'")
        engine.key("h")
        engine.wait_for(lambda r: r["hud"] is False, 10, "HUD hidden after a second H")
    finally:
        assert engine.stop() == 0


def restart_pulse() -> None:
    subprocess.run([str(REPO / "tools" / "ci" / "start-pulse.sh")], check=True)


def _end_outage_test(engine: LiveEngine, player) -> None:
    """Stop the player, bring PulseAudio back if the test left it down, and stop the engine."""
    if player is not None:
        player.kill()
    if subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        restart_pulse()
    assert engine.stop() == 0


def test_audio_server_killed_and_restarted_mid_show(styles, groove_120, tmp_path):
    need_display_and_pulse()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--styles", str(styles))
    player = None
    try:
        warm(engine)
        player = play(groove_120)
        engine.wait_for(lambda r: r["level"] > 0.01, 15, "audio arriving")
        subprocess.run(["pulseaudio", "--kill"], check=False)
        frames_at_kill = engine.last()["frames"]
        lost = engine.wait_for(lambda r: r["input"] == "lost", 10, "input reported lost")
        time.sleep(1.0)
        assert engine.last()["frames"] > max(frames_at_kill, lost["frames"])  # the show goes on
        restart_pulse()
        restarted = time.monotonic()
        engine.wait_for(lambda r: r["input"] == "live", 10, "input reopened")
        assert time.monotonic() - restarted <= 2.0 + 0.3  # + one telemetry period of slack
        # A freshly started PulseAudio takes ~2 s to route a new player to the monitor (measured
        # with a bare sounddevice recorder too), so the audio itself is given longer to arrive.
        player = play(groove_120)
        engine.wait_for(lambda r: r["input"] == "live" and r["level"] > 0.01, 10, "audio resumed")
    finally:
        _end_outage_test(engine, player)


def test_the_default_input_comes_back_after_a_long_sound_server_outage(styles, groove_120, tmp_path):
    """No --input: after 10 s without PulseAudio the engine reopens the device that was live, not
    whatever default the system offered meanwhile (a silent one it would never leave)."""
    need_display_and_pulse()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS[2:], "--styles", str(styles))
    player = None
    try:
        warm(engine)
        player = play(groove_120)
        engine.wait_for(lambda r: r["level"] > 0.01, 15, "audio arriving")
        first = [line for line in engine.log_tail(200).splitlines() if "audio input: " in line]
        assert first, engine.log_tail(50)
        device = first[-1].split("audio input: ", 1)[1].rsplit(" (", 1)[0]
        subprocess.run(["pulseaudio", "--kill"], check=False)
        engine.wait_for(lambda r: r["input"] == "lost", 10, "input reported lost")
        time.sleep(10.0)
        restart_pulse()
        engine.wait_for(lambda r: r["input"] == "live", 10, "input reopened")
        player = play(groove_120)
        engine.wait_for(lambda r: r["input"] == "live" and r["level"] > 0.01, 10, "audio resumed")
        assert "audio input back after" in engine.log_tail(200) and device in engine.log_tail(200)
    finally:
        _end_outage_test(engine, player)


def test_no_display_points_to_render(styles, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY" and k != "WAYLAND_DISPLAY"}
    result = subprocess.run([os.sys.executable, "-m", "vjengine", "run", "--styles", str(styles),
                             "--frames", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2
    assert "no display" in result.stderr and "vjengine render" in result.stderr


def window_geometry(window: str) -> tuple[int, int, int, int]:
    """(x, y, width, height) of a window on the display."""
    out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", window], capture_output=True,
                         text=True, check=True).stdout
    values = dict(line.split("=") for line in out.split())
    return tuple(int(values[key]) for key in ("X", "Y", "WIDTH", "HEIGHT"))


def grab_windows(windows: list[str], out: Path) -> list[np.ndarray]:
    """The windows' pictures from one grab of the whole screen (so they show the same moment)."""
    screen = grab_window("root", out)
    return [screen[y:y + h, x:x + w] for x, y, w, h in map(window_geometry, windows)]


def longest_quiet_run(samples: np.ndarray, samplerate: int) -> float:
    """Seconds of the longest run of digital silence (|x| < 1e-3)."""
    loud = np.flatnonzero(np.abs(samples) >= 1e-3)
    edges = np.diff(np.concatenate([[-1], loud, [len(samples)]])) - 1
    return float(edges.max()) / samplerate


def test_preview_shows_the_picture_and_recording_keeps_the_input_audio(styles, groove_120, tmp_path):
    need_display_and_pulse()
    out = tmp_path / "show.mp4"
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--styles", str(styles), "--preview",
                        "--record", str(out), "--record-size", "160x90")
    player = None
    try:
        warm(engine)
        player = play(groove_120)
        started = engine.wait_for(lambda r: r["level"] > 0.01, 15, "audio arriving")
        preview = subprocess.run(["xdotool", "search", "--name", "^vjengine preview$"],
                                 capture_output=True, text=True).stdout.split()
        assert preview, "no preview window"
        subprocess.run(["xdotool", "windowmove", preview[0], "400", "0"], check=True)  # off the output
        time.sleep(0.5)
        windows = [preview[0], engine.window_id()]
        first, output = grab_windows(windows, tmp_path / "a.png")
        time.sleep(1.0)
        second, _ = grab_windows(windows, tmp_path / "b.png")
        assert first.shape == (360, 640, 3) and output.shape == (180, 320, 3)
        below_hud = slice(240, None)  # the preview's HUD panel (changing text) covers its top half
        picture, later = first[below_hud], second[below_hud]
        assert picture.std() > 5 and later.std() > 5  # a picture, not a flat (or black) field
        assert np.abs(picture - later).mean() > 1.0  # and it moves
        shrunk = first.reshape(180, 2, 320, 2, 3).mean(axis=(1, 3))[120:]  # at the output's size
        assert np.corrcoef(shrunk.ravel(), output[120:].ravel())[0, 1] > 0.9  # the output's picture
        engine.wait_for(lambda r: r["t"] - started["t"] > 4.0, 20, "four more seconds of show")
    finally:
        if player is not None:
            player.kill()
        pressed = time.monotonic()
        assert engine.stop() == 0
        quit_s = time.monotonic() - pressed
    assert quit_s < 2.0, f"Esc took {quit_s:.1f} s to quit while recording"
    record = engine.last()
    assert record["recorded"] > 30 and record["record_dropped"] < record["recorded"]
    assert f"({record['record_dropped']} dropped)" in engine.log_tail(20)  # drops are counted
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "stream=codec_name,duration,width,height", "-of", "csv=p=0", str(out)],
                           capture_output=True, text=True, check=True)
    streams = {line.split(",")[0]: line.split(",")[1:] for line in probe.stdout.split()}
    assert set(streams) == {"h264", "aac"} and streams["h264"][:2] == ["160", "90"]
    shown = record["t"] - engine.records()[0]["t"]
    assert abs(float(streams["h264"][2]) - shown) < 1.5 and abs(float(streams["aac"][0]) - shown) < 1.5
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-f", "s16le", "-ac", "1", "-ar", "44100",
                          "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, "<i2") / 32768.0
    loud = np.flatnonzero(np.abs(audio) >= 1e-3)
    played = audio[loud[0]:loud[-1]]  # from the groove's first sound to its last
    assert len(played) > 3 * 44100
    assert longest_quiet_run(played, 44100) < 0.25  # no gap (the groove's own longest is 0.1 s)
    assert list(tmp_path.glob(".show*")) == []  # temporary files are gone


def test_demo_input_loops_the_demo_track(styles, tmp_path):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    engine = LiveEngine(tmp_path, "--input", "demo", "--size", "320x180", "--fps", "30",
                        "--styles", str(styles))
    try:
        warm(engine)
        record = engine.wait_for(lambda r: r["onsets"] > 10 and abs(r["bpm"] - 124) / 124 < 0.03, 30,
                                 "the demo track's 124 BPM")
        assert record["input"] == "demo"
        stages = record["stages_ms"]  # every stage timed; together about one frame's time, not more
        assert list(stages) == list(STAGES) and min(stages["cppn"], stages["present"], stages["swap"]) > 0
        assert 0 < sum(stages.values()) <= 2 * 1000 / record["fps"]
    finally:
        assert engine.stop() == 0
    assert "audio input: the demo track, looping" in engine.log_tail(200)
