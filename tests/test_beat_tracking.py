"""Beat and tempo tracking on generated music with exact ground truth, through the engine's own analysis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from tests.conftest import need_program
from vjengine.audio.analysis import AnalysisConfig, Analyzer
from vjengine.audio.filesource import hops
from vjengine.audio.timeline import analyze_samples

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import beat_stress_set  # noqa: E402  (tools/ is not a package)
import eval_beats  # noqa: E402

CASE_SECONDS = 24.0  # short versions of the stress cases; the first 5 s are not scored
F_TARGET = 0.90


def _samples(case) -> np.ndarray:
    return (case.audio * beat_stress_set.PEAK).astype(np.float32)


def _drum_track(seconds, tempo_fn, seed) -> tuple[np.ndarray, list[float]]:
    """A four-on-the-floor drum track at tempo_fn(t) BPM, written at the stress set's peak level,
    and its beat times."""
    beats = beat_stress_set.beat_grid(seconds, tempo_fn)
    audio, drums, _ = beat_stress_set.render(beats, seconds, np.random.default_rng(seed), style="four")
    return (audio / np.abs(audio).max() * beat_stress_set.PEAK).astype(np.float32), drums


def _largest_miss(beats, drums) -> float:
    """The largest distance (s) from any of the beats to its nearest drum hit."""
    return float(np.abs(np.asarray(drums)[None, :] - np.asarray(beats)[:, None]).min(axis=1).max())


def _f_measure(case, timeline) -> float:
    ref = mir_eval.beat.trim_beats(case.beats)
    est = mir_eval.beat.trim_beats(np.sort(np.array(timeline.beats)))
    return mir_eval.beat.f_measure(ref, est, f_measure_threshold=0.07)


@pytest.fixture(scope="module")
def timelines():
    """Each stress case (short version) analysed once by the default tracker."""
    cache = {}

    def get(name):
        if name not in cache:
            case = beat_stress_set.generate(name, CASE_SECONDS)
            cache[name] = (case, analyze_samples(_samples(case)))
        return cache[name]

    return get


def test_default_tracker_is_the_predictive_one():
    assert AnalysisConfig().tracker == "predictive"
    assert Analyzer().tracker.name == "predictive"


@pytest.mark.parametrize("name", beat_stress_set.CASES)
def test_stress_case_meets_the_beat_f_measure_target(name, timelines):
    case, timeline = timelines(name)
    assert _f_measure(case, timeline) >= F_TARGET


def test_tempo_is_within_2_percent_8_seconds_after_a_tempo_change(timelines):
    case, timeline = timelines("tempo_jump_120to140")
    change = CASE_SECONDS / 2
    late = [bpm for t, bpm in timeline.tempo if t >= change + 8.0]
    assert late, "no beats reported after the tempo change"
    assert all(abs(bpm / 140.0 - 1.0) <= 0.02 for bpm in late)


@pytest.mark.parametrize("before,after", [(120, 150), (90, 120)])
def test_the_phase_relocks_as_soon_as_a_new_tempo_is_published(before, after):
    # The beats after the switch are on the new tempo's drums, not drifting in from the old chain.
    seconds = 30.0
    samples, drums = _drum_track(seconds, lambda t: before if t < seconds / 2 else after, seed=0)
    timeline = analyze_samples(samples)
    switch = next(t for t, bpm in timeline.tempo if t > seconds / 2 and abs(bpm / after - 1.0) <= 0.04)
    following = [t for t in timeline.beats if t > switch][:6]
    assert len(following) == 6
    assert _largest_miss(following, drums) < 0.03


def test_an_abrupt_tempo_change_is_followed_from_the_beats_onsets():
    # 120 -> 135 BPM: the autocorrelation needs ~2.5 s of the new tempo to prefer it; the beats'
    # own onsets show the new period after three beats, and from then on the beats are on it.
    seconds, change, after = 30.0, 15.0, 135.0
    samples, drums = _drum_track(seconds, lambda t: 120.0 if t < change else after, seed=1)
    timeline = analyze_samples(samples)
    settled = change + 1.5
    assert all(abs(bpm / after - 1.0) <= 0.02 for t, bpm in timeline.tempo if t >= settled)
    following = [t for t in timeline.beats if t >= settled][:8]
    assert len(following) == 8
    assert _largest_miss(following, drums) < 0.03


@pytest.mark.parametrize("name,bpm", [("steady_70_rock", 70.0), ("steady_174_dnb", 174.0)])
def test_slow_and_fast_tempi_are_octave_correct(name, bpm, timelines):
    case, timeline = timelines(name)
    settled = [tempo for t, tempo in timeline.tempo if t >= 8.0]
    assert settled and all(abs(tempo / bpm - 1.0) <= 0.02 for tempo in settled)


@pytest.mark.parametrize("tracker", ["aubio", "predictive"])
@pytest.mark.parametrize("bpm", [90, 120, 140])
def test_drum_track_tempo_within_3_percent(tracker, bpm):
    samples, _ = _drum_track(16.0, lambda t: bpm, seed=bpm)
    timeline = analyze_samples(samples, AnalysisConfig(tracker=tracker))
    assert abs(timeline.bpm / bpm - 1.0) <= 0.03


def test_no_beats_are_reported_during_silence(timelines):
    case, timeline = timelines("gaps_124")
    gaps = [(CASE_SECONDS / 3, CASE_SECONDS / 3 + 4.0), (2 * CASE_SECONDS / 3, 2 * CASE_SECONDS / 3 + 1.0)]
    hold = 0.5  # the gate waits a moment before calling the input silent
    for start, end in gaps:
        assert not [t for t in timeline.beats if start + hold <= t < end]
    assert any(t > gaps[0][1] for t in timeline.beats), "the beat did not come back after the gap"


def test_beats_are_reported_ahead_by_at_most_the_lookahead():
    case = beat_stress_set.generate("steady_128_four", 12.0)
    config = AnalysisConfig(beat_lookahead=0.1)
    analyzer = Analyzer(config)
    previous = analyzer.features
    leads = []
    for hop in hops(_samples(case), config.hop_size):
        features = analyzer.process(hop)
        if features.beat_count != previous.beat_count:
            leads.append(features.beat_t - features.t)
        previous = features
    assert len(leads) > 10
    assert max(leads) <= config.beat_lookahead + 1e-9
    assert np.median(leads) > 0.05  # most beats are known before they sound


def test_lookahead_outside_its_range_is_refused():
    with pytest.raises(ValueError, match="beat_lookahead"):
        AnalysisConfig(beat_lookahead=0.5)


def test_confidence_separates_steady_music_from_noise_and_silence(timelines):
    _, music = timelines("steady_128_four")
    noise = analyze_samples((0.3 * np.random.default_rng(1).standard_normal(44100 * 12)).astype(np.float32))
    silent = analyze_samples(np.zeros(44100 * 6, dtype=np.float32))
    assert 0.0 <= 2 * noise.confidence < music.confidence <= 1.0
    assert silent.beats == [] and silent.confidence == 0.0


def test_analyze_cli_uses_the_default_tracker(tmp_path):
    need_program("ffmpeg")
    case = beat_stress_set.generate("steady_128_four", 10.0)
    beat_stress_set.write_case(case, tmp_path)
    out = tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-m", "vjengine", "analyze", str(tmp_path / f"{case.name}.wav"),
                           "--json", str(out)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["tracker"] == "predictive"
    assert abs(result["bpm"] / 128.0 - 1.0) <= 0.02
    assert len(result["beats"]) >= 10


def test_analyze_cli_takes_the_latency_like_run(tmp_path):
    need_program("ffmpeg")
    case = beat_stress_set.generate("steady_128_four", 8.0)
    beat_stress_set.write_case(case, tmp_path)
    audio, out = tmp_path / f"{case.name}.wav", tmp_path / "result.json"
    proc = subprocess.run([sys.executable, "-m", "vjengine", "analyze", str(audio), "--latency", "100",
                           "--json", str(out)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["beat_lookahead"] == 0.1
    proc = subprocess.run([sys.executable, "-m", "vjengine", "analyze", str(audio), "--latency", "400"],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["vjengine: --latency 400.0: expected 0..150 ms"]


def test_eval_tool_scores_both_trackers(tmp_path, capsys):
    need_program("ffmpeg")
    for name in ("steady_128_four", "steady_90_rock"):
        beat_stress_set.write_case(beat_stress_set.generate(name, 10.0), tmp_path)
    out = tmp_path / "scores.json"
    assert eval_beats.main([str(tmp_path), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    table = result["files"]
    assert set(table) == {"steady_128_four", "steady_90_rock"}
    for name, scores in table.items():
        assert set(scores) == {"predictive", "aubio"}
        assert scores["predictive"]["F"] >= F_TARGET
        assert scores["predictive"]["Acc1"] == 1.0, (name, scores["predictive"]["BPM"])
        assert 0.0 < scores["predictive"]["CPU"] < 3.0
        assert scores["predictive"]["First"] < 5.0
    assert result["mean"]["predictive"]["F"] >= F_TARGET
    assert "mean" in capsys.readouterr().out


def test_eval_tool_scores_tempo_only_files(tmp_path):
    need_program("ffmpeg")
    case = beat_stress_set.generate("steady_128_four", 8.0)
    beat_stress_set.write_case(case, tmp_path)
    (tmp_path / f"{case.name}.beats").unlink()
    out = tmp_path / "scores.json"
    assert eval_beats.main([str(tmp_path), "--trackers", "predictive", "--json", str(out)]) == 0
    scores = json.loads(out.read_text())["files"][case.name]["predictive"]
    assert scores["F"] != scores["F"]  # nan: no beats to score
    assert scores["Acc1"] == 1.0


def test_eval_tool_refuses_a_folder_without_annotations(tmp_path, capsys):
    assert eval_beats.main([str(tmp_path)]) == 2
    assert "no audio file" in capsys.readouterr().err


@pytest.mark.unit
def test_median_tempo_ignores_the_first_seconds_and_the_final_value():
    tempo = [(1.0, 200.0), (6.0, 120.0), (7.0, 121.0), (8.0, 119.0), (30.0, 180.0)]
    assert eval_beats.median_tempo(tempo, 180.0) == 120.5
    assert eval_beats.median_tempo([(1.0, 90.0)], 95.0) == 90.0
    assert eval_beats.median_tempo([], 95.0) == 95.0


def test_a_noise_floor_after_the_music_stops_the_beat_within_a_bar():
    # Live, an input's noise floor follows the music; the beat must stop and stay stopped.
    case = beat_stress_set.generate("steady_128_four", 12.0)
    music = _samples(case)
    floor = np.random.default_rng(2).standard_normal(44100 * 60) * np.sqrt(np.mean(music ** 2)) * 10 ** (-50 / 20)
    timeline = analyze_samples(np.concatenate([music, floor.astype(np.float32)]))
    bar = 4 * 60.0 / 128.0
    assert [t for t in timeline.beats if t < 12.0], "no beats in the music"
    assert not [t for t in timeline.beats if t > 12.0 + bar]
    assert timeline.confidence == 0.0


def test_noise_without_a_pulse_after_the_music_stops_the_beat():
    # A crowd or a room 20 dB below the music is not silent, but it has no pulse to flash on.
    case = beat_stress_set.generate("steady_128_four", 12.0)
    music = _samples(case)
    noise = np.random.default_rng(3).standard_normal(44100 * 30) * np.sqrt(np.mean(music ** 2)) * 10 ** (-20 / 20)
    timeline = analyze_samples(np.concatenate([music, noise.astype(np.float32)]))
    after = [t for t in timeline.beats if t > 12.0]
    # The periodicity of the last 3 s fades first: the beat stops within ~3.5 s (not yet a bar).
    assert len(after) <= 10 and max(after, default=12.0) < 12.0 + 4.5, after  # 63 beats before the gate
    assert timeline.confidence < 0.1


@pytest.mark.parametrize("seed,smoothing", [(0, 1), (1, 8), (2, 1)])
def test_noise_alone_never_starts_the_beat(seed, smoothing):
    # White or coloured noise has chance periodicities that reach confidence ~0.11; they must not
    # make the show pulse on a beat that is not there.
    noise = np.random.default_rng(seed).standard_normal(44100 * 40) * 0.05
    noise = np.convolve(noise, np.ones(smoothing) / smoothing, mode="same").astype(np.float32)
    assert analyze_samples(noise).beats == []


@pytest.mark.parametrize("name", ["steady_128_four", "steady_90_rock", "breakbeat_136"])
def test_first_beats_come_within_2_seconds(name, timelines):
    case, timeline = timelines(name)
    assert timeline.beats and timeline.beats[0] < 2.0
    early = [t for t in timeline.beats if t < 4.0]
    assert len(early) >= 3
