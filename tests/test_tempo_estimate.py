"""The tempo estimator on onset-strength sequences with a known pulse."""

from __future__ import annotations

import numpy as np
import pytest

from vjengine.audio.tempo_estimate import TempoEstimator

FPS = 44100 / 512
UPDATES_PER_SECOND = 10.0


def _pulses(seconds: float, period: float, strength: float, offset: float = 0.0) -> np.ndarray:
    """Onset strength with a one-frame pulse every `period` seconds from `offset`."""
    x = np.zeros(int(seconds * FPS))
    x[np.round((np.arange(offset, seconds, period)) * FPS).astype(int).clip(0, len(x) - 1)] = strength
    return x


def _published(onsets: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, tempi, strengths) the estimator publishes when fed these sequences as the live
    tracker does."""
    estimator = TempoEstimator(FPS, UPDATES_PER_SECOND)
    step = FPS / UPDATES_PER_SECOND
    times, tempi, strengths = [], [], []
    for end in np.arange(FPS, len(onsets), step).astype(int):
        start = max(0, end - estimator.history)
        times.append(end / FPS)
        tempi.append(estimator.update(onsets[start:end], low[start:end]))
        strengths.append(estimator.strength)
    return np.array(times), np.array(tempi), np.array(strengths)


@pytest.mark.unit
def test_the_beat_level_holds_through_a_sparse_bridge():
    """120 BPM with eighth notes, a 24 s bridge where only every other beat sounds (a 60 BPM
    pulse on its own), then the groove again: the published tempo stays at 120 throughout."""
    groove = _pulses(30.0, 0.5, 1.0) + _pulses(30.0, 0.5, 0.4, offset=0.25)
    bridge = _pulses(24.0, 1.0, 1.0)  # the HMM alone moves to 60 BPM after ~15 s of it
    onsets = np.concatenate([groove, bridge, groove[:int(10 * FPS)]])
    low = np.concatenate([_pulses(30.0, 0.5, 1.0), bridge, _pulses(10.0, 0.5, 1.0)])
    times, tempi, _ = _published(onsets, low)
    settled = times >= 5.0
    assert np.all(np.abs(tempi[settled] / 120.0 - 1.0) < 0.03), sorted(set(np.round(tempi[settled])))


@pytest.mark.unit
def test_a_new_song_at_another_level_is_taken_up():
    """30 s at 120 BPM, then a different song whose only pulse is 75 BPM: within 20 s the
    published tempo is 75 (the level hold does not keep an old song's tempo)."""
    first = _pulses(30.0, 0.5, 1.0) + _pulses(30.0, 0.5, 0.4, offset=0.25)
    second = _pulses(40.0, 0.8, 1.0)
    times, tempi, _ = _published(np.concatenate([first, second]), np.concatenate([_pulses(30.0, 0.5, 1.0), second]))
    late = times >= 50.0
    assert np.all(np.abs(tempi[late] / 75.0 - 1.0) < 0.03), sorted(set(np.round(tempi[late])))


@pytest.mark.unit
def test_a_fill_at_another_tempo_does_not_move_the_published_tempo():
    """100 BPM with soft eighths, a 6 s fill of loud hits every 0.45 s (133 BPM, 4:3 of the beat)
    over a softer beat, then the groove again: the HMM alone jumps to 133, the published tempo
    stays at 100."""
    groove = _pulses(20.0, 0.6, 1.0) + _pulses(20.0, 0.6, 0.4, offset=0.3)
    fill = _pulses(6.0, 0.6, 0.6) + _pulses(6.0, 0.45, 1.5)
    onsets = np.concatenate([groove, fill, groove[:int(10 * FPS)]])
    low = np.concatenate([_pulses(20.0, 0.6, 1.0), _pulses(6.0, 0.6, 0.6), _pulses(10.0, 0.6, 1.0)])
    times, tempi, _ = _published(onsets, low)
    settled = times >= 5.0
    assert np.all(np.abs(tempi[settled] / 100.0 - 1.0) < 0.03), sorted(set(np.round(tempi[settled])))


@pytest.mark.unit
@pytest.mark.parametrize("bpm", [100, 128])
def test_the_strength_is_measured_from_the_first_second_of_a_pulse(bpm):
    """A pulse with sparse other onsets between its beats: after its first second the strength
    (which the beat's confidence follows) is already at least 0.8 of what it is once 9 s are
    heard, because it is measured on the beat periods that fit in what has been heard so far."""
    rng = np.random.default_rng(0)
    onsets = _pulses(12.0, 60.0 / bpm, 1.0)
    onsets += 0.3 * rng.random(len(onsets)) * (rng.random(len(onsets)) < 0.1)
    times, _, strengths = _published(onsets, onsets)
    assert times[0] == pytest.approx(1.0, abs=0.02)
    assert strengths[0] >= 0.8 * np.median(strengths[times >= 9.0])
