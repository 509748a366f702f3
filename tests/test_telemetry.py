"""Frame statistics for the telemetry log, and the status snapshot behind both the HUD and the log."""

import time

import pytest

from vjengine.audio.features import AudioFeatures
from vjengine.render.timing import STAGES, StageTimer
from vjengine.show.status import ShowStatus, stage_lines
from vjengine.show.telemetry import FrameStats

pytestmark = pytest.mark.unit


def test_since_returns_the_intervals_of_the_frames_after_a_count():
    stats = FrameStats(window=4)
    for i in range(6):
        stats.add(0.01 * (i + 1), 0.001, 1.0)
    assert stats.since(4) == [0.05, 0.06]
    assert stats.since(0) == [0.03, 0.04, 0.05, 0.06]  # no more than the window holds
    assert stats.since(6) == []
    assert stats.since_logged() == [30.0, 40.0, 50.0, 60.0] and stats.since_logged() == []
    stats.add(0.02, 0.001, 1.0)
    assert stats.since_logged() == [20.0]


def test_the_hud_and_the_telemetry_record_come_from_one_snapshot():
    features = AudioFeatures(t=12.5, bpm=128.0, confidence=0.9, tempo_source="aubio", beat_count=26)
    status = ShowStatus(
        wall=100.0, frames=750, fps=59.94, p50_ms=16.7, p99_ms=21.0, late=3, internal=(320, 180),
        scale=0.25, backend="cpu", features=features, input="live", level=0.1, hops=1000,
        silent_hops=0, overruns=2, style_a="neon-rings", style_b="deep-nebula", xfade=0.375, hud=True,
        errors={"frame": 1}, windows=2, recorded=0, record_dropped=0,
        control={"preset": "club", "dropped": 4, "control_rejected": 1}, params={"zoom": 1.0 / 3.0},
        outputs={}, frame_ms=[16.6, 16.8], stages_ms={"control": 0.5, "cppn": 8.0, "post": 4.0, "swap": 2.0},
        budget_ms=20.0)
    lines = status.hud_lines()
    record = status.telemetry_record()
    assert lines[0].startswith(" 59.9 fps") and "render 320x180 (scale 0.25) on cpu" in lines[1]
    assert "128.0 BPM" in lines[2] and "[aubio]" in lines[2] and "-20.0 dB  overruns 2" in lines[3]
    assert lines[4] == "A neon-rings   B deep-nebula   xfade 0.38   preset club"
    assert lines[5] == "section 0 (start at 0.0 s)  energy low steady"
    assert lines[6] == "late 3  errors 1  dropped 4  rejected 1" and len(lines) == 9
    assert lines[7] == "stages [c################pppppppp" + "ssss" + "." * 11 + "]  14.5 of 20.0 ms"
    assert lines[8] == "ctl 0.5 cppn 8.0 post 4.0 swap 2.0"
    assert record["fps"] == 59.94 and record["internal"] == [320, 180] and record["bpm"] == 128.0
    assert (record["style_a"], record["style_b"], record["xfade"]) == ("neon-rings", "deep-nebula", 0.375)
    assert record["frame_ms"] == [16.6, 16.8] and record["params"] == {"zoom": 0.333333}
    assert record["errors"] == {"frame": 1} and record["control"]["preset"] == "club"
    assert record["stages_ms"] == {"control": 0.5, "cppn": 8.0, "post": 4.0, "swap": 2.0}


def test_stage_times_are_averaged_over_the_recent_frames():
    stats = FrameStats(stage_window=2)
    for cppn in (0.030, 0.010, 0.020):
        stats.add(0.033, 0.03, 1.0, {"cppn": cppn, "swap": 0.001})
    assert stats.stages_ms() == {"cppn": 15.0, "swap": 1.0}  # the last two frames only
    assert FrameStats().stages_ms() == {}


def test_the_stage_bar_marks_frames_over_budget():
    lines = stage_lines({"cppn": 30.0, "present": 15.0}, 30.0)
    assert lines[0] == "stages [" + "#" * 40 + ">]  45.0 of 30.0 ms"


def test_the_stage_timer_puts_each_block_on_its_stage_and_syncs_gl_stages():
    synced = []
    timer = StageTimer(sync=lambda: synced.append(True))
    with timer.stage("cppn"):
        time.sleep(0.02)
    with timer.stage("post", gl=True):
        pass
    with timer.stage("cppn"):
        time.sleep(0.01)
    assert 0.03 <= timer.seconds["cppn"] < 0.2 and timer.seconds["post"] < 0.01 and synced == [True]
    assert set(timer.seconds) == set(STAGES)
    timer.start_frame()
    assert not any(timer.seconds.values())
