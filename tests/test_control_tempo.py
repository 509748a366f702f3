"""Tempo sources and their priority; the show's beat phase stays continuous when the source changes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vjengine.audio.features import AudioFeatures
from vjengine.control.params import PARAMS
from vjengine.control.tempo import TICKS_PER_BEAT, ManualTempo, MidiClock, TempoEngine
from vjengine.model import conditioning
from vjengine.modulate import modulate

pytestmark = pytest.mark.unit

FPS = 60.0
JACK_PERIOD = 512 / 44100  # MIDI arrives once per JACK cycle on this machine's dummy backend


def aubio_at(t: float, bpm: float, first_beat: float) -> AudioFeatures:
    """What the analysis would publish at t for a steady beat starting at first_beat."""
    period = 60.0 / bpm
    count = math.floor((t - first_beat) / period)
    return AudioFeatures(t=t, bpm=bpm, beat_t=first_beat + count * period, beat_count=count + 1,
                         confidence=0.8, tempo_source="aubio")


def clock_ticks(clock: MidiClock, bpm: float, start: float, seconds: float) -> None:
    """Feed ticks as JACK delivers them: each one at the end of the cycle it fell in."""
    period = 60.0 / (bpm * TICKS_PER_BEAT)
    clock.start(start)
    for k in range(int(seconds / period)):
        sent = start + k * period
        clock.tick(math.ceil(sent / JACK_PERIOD) * JACK_PERIOD)


def test_midi_clock_tempo_from_jittered_ticks_is_within_a_tenth_of_a_percent():
    clock = MidiClock()
    clock_ticks(clock, 128.0, 10.0, 3.0)
    reading = clock.reading(13.0)
    assert reading.name == "midi" and abs(reading.bpm - 128.0) / 128.0 < 0.001
    assert reading.beat == pytest.approx(3.0 * 128 / 60, abs=0.05)  # beats since Start


def test_midi_clock_tempo_ignores_ticks_bunched_up_by_a_stall():
    clock = MidiClock()
    clock.start(0.0)
    period = 60.0 / (128.0 * TICKS_PER_BEAT)
    sent = np.arange(4 * TICKS_PER_BEAT) * period
    arrived = np.where((sent >= 1.2) & (sent < 1.35), 1.35, sent)  # a 150 ms stall, then a burst
    for t in arrived:
        clock.tick(float(t))
    reading = clock.reading(float(arrived[-1]))
    assert abs(reading.bpm - 128.0) / 128.0 < 0.001  # a plain least-squares fit is 0.65% off here
    assert reading.beat == pytest.approx(arrived[-1] / period / TICKS_PER_BEAT, abs=1e-6)


def test_midi_clock_stop_continue_and_silence():
    clock = MidiClock()
    clock_ticks(clock, 120.0, 0.0, 2.0)
    assert clock.reading(2.0) is not None
    clock.stop(2.0)
    clock.tick(2.02)
    assert clock.reading(2.05) is None
    clock.resume(2.1)
    for k in range(TICKS_PER_BEAT):
        clock.tick(2.1 + k * 0.5 / TICKS_PER_BEAT)
    assert clock.reading(2.6).bpm == pytest.approx(120.0, rel=1e-6)
    assert clock.reading(3.2) is None  # no tick for more than half a second: the clock is gone


def test_tap_tempo_averages_taps_and_restarts_after_a_pause():
    manual = ManualTempo()
    for t in (1.0, 1.5, 2.0, 2.5):
        manual.tap(t)
    reading = manual.reading(2.75)
    assert (reading.bpm, reading.beat, reading.name) == (pytest.approx(120.0), pytest.approx(0.5), "tap")
    manual.tap(10.0)  # a single tap after a pause moves the beat, keeps the tempo
    assert manual.reading(10.25).bpm == pytest.approx(120.0)
    assert manual.reading(10.25).beat == pytest.approx(0.5)
    manual.set_bpm(140.0)
    reading = manual.reading(11.0)
    assert (reading.bpm, reading.beat, reading.name) == (140.0, None, "osc")
    with pytest.raises(ValueError):
        manual.set_bpm(400.0)
    manual.release()
    assert manual.reading(12.0) is None


def run(engine: TempoEngine, start: float, stop: float, features_at) -> list[tuple[float, AudioFeatures]]:
    frames = []
    for i in range(round(start * FPS), round(stop * FPS)):
        t = i / FPS
        frames.append((engine.position, engine.update(t, features_at(t))))
    return frames


def test_priority_midi_clock_then_manual_then_audio_then_none():
    engine = TempoEngine()
    silent = AudioFeatures()
    assert engine.update(0.0, silent).tempo_source == "none"
    assert engine.update(0.1, aubio_at(0.1, 100.0, 0.0)).tempo_source == "aubio"
    engine.manual.set_bpm(90.0)
    assert engine.update(0.2, aubio_at(0.2, 100.0, 0.0)).tempo_source == "osc"
    clock_ticks(engine.midi_clock, 128.0, 0.2, 1.0)
    assert engine.update(1.2, aubio_at(1.2, 100.0, 0.0)).tempo_source == "midi"
    engine.midi_clock.stop(1.25)
    assert engine.update(1.3, aubio_at(1.3, 100.0, 0.0)).tempo_source == "osc"
    engine.manual.release()
    features = engine.update(1.4, aubio_at(1.4, 100.0, 0.0))
    assert (features.tempo_source, features.bpm, features.confidence) == ("aubio", 100.0, 0.8)
    features = engine.update(1.5, silent)
    assert (features.tempo_source, features.bpm, features.beat_t) == ("none", 0.0, -math.inf)


def test_phase_continues_smoothly_when_the_source_changes():
    engine = TempoEngine()
    for t in (0.0, 0.5, 1.0, 1.5):
        engine.manual.tap(t)
    frames = run(engine, 0.0, 4.0, lambda t: AudioFeatures())
    assert frames[-1][1].tempo_source == "tap"
    assert frames[-1][1].beat_phase(4.0 - 1 / FPS) == pytest.approx((4.0 - 1 / FPS) / 0.5 % 1.0, abs=1e-6)
    engine.manual.release()  # hand over to the analysis: 128 BPM, its beats 0.4 of a beat off the taps
    offset = 0.4 * 60.0 / 128.0
    frames = run(engine, 4.0, 12.0, lambda t: aubio_at(t, 128.0, offset))
    positions = np.array([p for p, _ in frames] + [engine.position])
    steps = np.diff(positions)
    nominal = 128.0 / 60.0 / FPS
    assert steps.min() > 0.5 * nominal and steps.max() < 1.5 * nominal  # no jump, never backwards
    counts = [f.beat_count for _, f in frames]
    assert all(b - a in (0, 1) for a, b in zip(counts, counts[1:], strict=False))
    t_end = 12.0 - 1 / FPS
    source_phase = aubio_at(t_end, 128.0, offset).beat_phase(t_end)
    assert frames[-1][1].beat_phase(t_end) == pytest.approx(source_phase, abs=0.01)  # locked on


def test_the_first_source_sets_the_phase_at_once():
    engine = TempoEngine()
    run(engine, 0.0, 1.0, lambda t: AudioFeatures())  # no source: the position runs on its own
    t = 1.0
    features = engine.update(t, aubio_at(t, 120.0, 0.13))
    assert features.beat_phase(t) == pytest.approx(aubio_at(t, 120.0, 0.13).beat_phase(t), abs=1e-9)


def test_replaced_features_drive_modulation_unchanged():
    engine = TempoEngine()
    engine.manual.set_bpm(120.0)
    params = {spec.name: spec.default for spec in PARAMS}
    run(engine, 0.0, 1.0, lambda t: AudioFeatures())
    features = engine.update(1.0, AudioFeatures(onset_count=3))
    frame = modulate(features, params, 1.0)
    assert features.onset_count == 3 and features.bpm == 120.0
    beat_phase = 2 * math.pi * (engine.position % 1.0)
    assert frame.conditioning[conditioning.INDEX["beat_sin"]] == pytest.approx(math.sin(beat_phase))
    assert frame.conditioning[conditioning.INDEX["beat_cos"]] == pytest.approx(math.cos(beat_phase))


def test_the_audio_tempo_lapses_two_beats_after_the_last_beat_and_returns_with_the_next():
    engine = TempoEngine()
    playing = AudioFeatures(t=10.0, bpm=120.0, beat_t=10.0, beat_count=20, tempo_source="predictive")
    assert engine.update(10.2, playing).tempo_source == "predictive"
    assert engine.update(10.9, playing).bpm == 120.0
    lapsed = engine.update(11.0, playing)  # two periods without a beat
    assert (lapsed.bpm, lapsed.beat_t, lapsed.tempo_source) == (0.0, -math.inf, "none")
    back = engine.update(12.1, AudioFeatures(t=12.1, bpm=120.0, beat_t=12.0, beat_count=21))
    assert back.bpm == 120.0
