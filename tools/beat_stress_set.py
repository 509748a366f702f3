#!/usr/bin/env python3
"""Synthetic but hard beat/onset stress set with exact ground truth (numpy only).

Writes, for every case, NAME.wav (44.1 kHz mono 16-bit), NAME.beats (quarter-note
times, s), NAME.onsets (every drum/bass hit, hits closer than 30 ms merged) and
NAME.bpm (the tempo at the end of the file; a comment line describes tempo changes).

Usage: python tools/beat_stress_set.py [OUT_DIR] [--seconds 30] [--seed 0] [--cases NAME ...]

Importable: `generate(name, seconds, seed)` builds one case in memory (tests use short ones).
"""

from __future__ import annotations

import argparse
import math
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SR = 44100
PEAK = 0.89  # peak level of a written file (full scale = 1)


@dataclass(frozen=True)
class StressCase:
    """One generated case: mono audio at SR plus its exact annotations."""

    name: str
    audio: np.ndarray  # float64 in [-1, 1]
    beats: np.ndarray  # quarter-note times in seconds (beats inside silent gaps removed)
    onsets: np.ndarray  # every drum/bass hit, hits closer than 30 ms merged
    bpm: float  # tempo at the end of the file
    note: str = ""  # what makes the case hard, written as a comment in .beats/.bpm


def _env(n, tau):
    return np.exp(-np.arange(n) / (tau * SR))


def kick(rng):
    n = int(0.35 * SR)
    t = np.arange(n) / SR
    f = 50 + 110 * np.exp(-t / 0.03)  # pitch sweep 160 -> 50 Hz
    ph = 2 * np.pi * np.cumsum(f) / SR
    x = np.sin(ph) * _env(n, 0.12)
    x[:int(0.004 * SR)] += 0.6 * rng.standard_normal(int(0.004 * SR))  # beater click
    return 0.9 * x


def _bandnoise(rng, n, lo, hi):
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum[(freqs < lo) | (freqs > hi)] = 0
    x = np.fft.irfft(spectrum, n)
    return x / (np.abs(x).max() + 1e-12)


def snare(rng):
    n = int(0.25 * SR)
    t = np.arange(n) / SR
    body = np.sin(2 * np.pi * 185 * t) * _env(n, 0.05)
    noise = _bandnoise(rng, n, 1500, 9000) * _env(n, 0.07)
    return 0.5 * body + 0.6 * noise


def hihat(rng, open_=False):
    n = int((0.25 if open_ else 0.06) * SR)
    return 0.25 * _bandnoise(rng, n, 7000, 16000) * _env(n, 0.08 if open_ else 0.015)


def skank(rng):
    """A short, loud, bright off-beat guitar chop (ska, reggae)."""
    n = int(0.12 * SR)
    t = np.arange(n) / SR
    chord = sum(np.sin(2 * np.pi * f * t) for f in (392.0, 493.88, 587.33, 783.99))
    scratch = _bandnoise(rng, n, 2000, 6000)
    return (0.6 * chord + 0.8 * scratch) * _env(n, 0.04)


def bass_note(freq, dur):
    n = int(dur * SR)
    t = np.arange(n) / SR
    x = np.zeros(n)
    for k in range(1, 9):  # band-limited saw, 8 partials
        x += np.sin(2 * np.pi * k * freq * t) / k
    att = np.minimum(1, t / 0.005)
    return 0.22 * x * att * _env(n, dur / 2)


def pad(total_n):
    """Sustained chord (no onsets except its start) to make the mix less trivial."""
    t = np.arange(total_n) / SR
    x = np.zeros(total_n)
    for f in (220.0, 277.18, 329.63, 440.0):
        x += np.sin(2 * np.pi * f * t + 0.3 * np.sin(2 * np.pi * 0.2 * t))
    fade = np.minimum(1, t / 2.0)
    return 0.03 * x * fade


def add(buf, sig, t):
    i = int(round(t * SR))
    if i >= len(buf) or i < 0:
        return
    m = min(len(sig), len(buf) - i)
    buf[i:i + m] += sig[:m]


def beat_grid(seconds, tempo_fn, t0=0.5):
    """Quarter-note times for a tempo curve tempo_fn(t) (BPM), integrated exactly."""
    beats, t = [], t0
    while t < seconds - 0.3:
        beats.append(t)
        t += 60.0 / tempo_fn(t)
    return np.array(beats)


# Drum patterns on a 16th-note grid (4 steps per beat, 16 per bar): instrument -> steps.
BREAKBEAT = {"kick": (0, 2, 10, 11), "snare": (4, 12), "ghost": (7, 9, 15), "hat": tuple(range(0, 16, 2))}
HALFTIME = {"kick": (0, 11), "snare": (8,), "hat": tuple(range(0, 16, 2))}


def _pattern_hits(style, pos, b, ibi, swing, rng, kick_, snare_):
    """(time, signal) drum hits of beat index pos (0..3 in the bar) starting at b."""
    hits = []
    off = b + ibi * (0.5 + swing / 2)  # the "and" of the beat
    if style == "four":  # four-on-the-floor house/techno
        hits += [(b, kick_)]
        if pos in (1, 3):
            hits += [(b, snare_)]
        hits += [(off, hihat(rng, open_=True))]
    elif style == "rock":  # kick 1,3 (+ "and" of 3), snare 2,4
        if pos in (0, 2):
            hits += [(b, kick_)]
        if pos == 2:
            hits += [(off, kick_)]
        if pos in (1, 3):
            hits += [(b, snare_)]
        hits += [(b, hihat(rng)), (off, hihat(rng))]
    elif style == "dnb":  # two-step: kick 1 & "and" of 2, snare 2 & 4
        if pos == 0:
            hits += [(b, kick_)]
        if pos == 2:
            hits += [(b + ibi * 0.5, kick_)]
        if pos in (1, 3):
            hits += [(b, snare_)]
        hits += [(b, hihat(rng)), (b + ibi * 0.5, hihat(rng))]
    elif style == "ska":  # soft kick on every beat, loud guitar chops on every off-beat
        hits += [(b, 0.25 * kick_), (off, skank(rng))]
        if pos == 2:
            hits += [(b, 0.6 * snare_)]
    elif style in ("breakbeat", "halftime"):
        pattern = BREAKBEAT if style == "breakbeat" else HALFTIME
        sounds = {"kick": kick_, "snare": snare_, "ghost": 0.3 * snare_}
        for step in range(4 * pos, 4 * pos + 4):
            t = b + ibi * (step - 4 * pos) / 4
            hits += [(t, sounds[name]) for name in ("kick", "snare", "ghost") if step in pattern.get(name, ())]
            if step in pattern["hat"]:
                hits.append((t, hihat(rng)))
    else:
        raise ValueError(f"unknown drum style {style!r}")
    return hits


def render(beats, seconds, rng, style="four", swing=0.0, gaps=(), with_bass=True, with_pad=True,
           drum_gaps=(), style_after=None, jitter=0.0):
    """Audio, kept beats and merged onsets of a drum/bass/pad arrangement on the given beats.

    gaps silence everything (beats there are not annotated); drum_gaps only mute the drums;
    style_after=(t, style) switches the drum pattern at time t; jitter is the std (s) of a
    random timing error of every hit, as a human player makes (beats stay on the grid).
    """
    n = int(seconds * SR)
    buf = np.zeros(n)
    onsets = []
    kick_, snare_ = kick(rng), snare(rng)
    roots = [55.0, 55.0, 43.65, 49.0]  # A, A, F, G (bars)

    def inside(t, spans):
        return any(a <= t < b for a, b in spans)

    for i, b in enumerate(beats):
        nxt = beats[i + 1] if i + 1 < len(beats) else b + (b - beats[i - 1])
        ibi = nxt - b
        pos = i % 4
        current = style_after[1] if style_after and b >= style_after[0] else style
        hits = [] if inside(b, drum_gaps) else _pattern_hits(current, pos, b, ibi, swing, rng, kick_, snare_)
        if with_bass and pos in (0, 2):
            hits += [(b, bass_note(roots[(i // 4) % 4], 0.9 * ibi))]
        for t, sig in hits:
            if inside(t, gaps):
                continue
            t += rng.normal(0.0, jitter) if jitter > 0 else 0.0
            gain = 10 ** (rng.uniform(-2, 0) / 20)  # small velocity variation
            add(buf, gain * sig, t)
            onsets.append(t)
    if with_pad:
        p = pad(n)
        for a, bnd in gaps:
            p[int(a * SR):int(bnd * SR)] = 0
        buf += p
    on = np.sort(np.array(onsets))
    merged = [on[0]] if len(on) else []
    for t in on[1:]:
        if t - merged[-1] > 0.03:
            merged.append(t)
    kept_beats = np.array([b for b in beats if not inside(b, gaps)])
    return buf, kept_beats, np.array(merged)


def _normalised(x):
    return x / (np.abs(x).max() + 1e-12)


def _drum_case(name, seconds, rng, bpm, tempo_fn=None, note="", level_db=0.0, **kwargs):
    beats = beat_grid(seconds, tempo_fn or (lambda t: bpm))
    x, kept, onsets = render(beats, seconds, rng, **kwargs)
    return StressCase(name, _normalised(x) * 10 ** (level_db / 20), kept, onsets, float(bpm), note)


def _noisy_case(name, seconds, rng, snr_db):
    beats = beat_grid(seconds, lambda t: 128)
    x, kept, onsets = render(beats, seconds, rng, style="four")
    x = x / np.sqrt(np.mean(x ** 2))
    y = x + rng.standard_normal(len(x)) * 10 ** (-snr_db / 20)
    return StressCase(name, _normalised(y), kept, onsets, 128.0, f"white noise at {snr_db} dB SNR")


def _steady(bpm, style):
    return lambda name, s, rng: _drum_case(name, s, rng, bpm, style=style)


CASES: dict[str, Callable[[str, float, np.random.Generator], StressCase]] = {
    "steady_70_rock": _steady(70, "rock"),
    "steady_90_rock": _steady(90, "rock"),
    "steady_128_four": _steady(128, "four"),
    "steady_140_four": _steady(140, "four"),
    "steady_174_dnb": _steady(174, "dnb"),
    "tempo_jump_120to140": lambda name, s, rng: _drum_case(
        name, s, rng, 140, lambda t: 120 if t < s / 2 else 140, "tempo 120 until mid-file, then 140",
        style="four"),
    "tempo_ramp_100to130": lambda name, s, rng: _drum_case(
        name, s, rng, 130, lambda t: 100 + 30 * min(1, t / s), "tempo ramps linearly 100 -> 130",
        style="rock"),
    "swing_110": lambda name, s, rng: _drum_case(
        name, s, rng, 110, note="8th notes swung 2:1", style="rock", swing=1 / 3),
    "gaps_124": lambda name, s, rng: _drum_case(
        name, s, rng, 124, note="silence 1/3..1/3+4 s and 2/3..2/3+1 s of the file (no beats annotated there)",
        style="four", gaps=((s / 3, s / 3 + 4.0), (2 * s / 3, 2 * s / 3 + 1.0))),
    "noise0dB_128": lambda name, s, rng: _noisy_case(name, s, rng, 0),
    "noise-6dB_128": lambda name, s, rng: _noisy_case(name, s, rng, -6),
    "breakbeat_136": lambda name, s, rng: _drum_case(
        name, s, rng, 136, note="syncopated breakbeat: kicks off the beat, ghost snares", style="breakbeat"),
    "halftime_switch_140": lambda name, s, rng: _drum_case(
        name, s, rng, 140, note="drums switch to a half-time feel (snare on 3) mid-file; tempo stays 140",
        style="four", style_after=(s / 2, "halftime")),
    "offbeat_chops_150": lambda name, s, rng: _drum_case(
        name, s, rng, 150, note="ska: loud guitar chops on the off-beats, soft kick and bass on the beats",
        style="ska"),
    "quiet_-40dB_128": lambda name, s, rng: _drum_case(
        name, s, rng, 128, note="the whole mix peaks at -40 dBFS", style="four", level_db=-40.0),
    "drift_120": lambda name, s, rng: _drum_case(
        name, s, rng, 120 + 5 * math.sin(2 * math.pi * s / 20.0),
        lambda t: 120 + 5 * math.sin(2 * math.pi * t / 20.0),
        "tempo drifts 115..125 BPM (20 s period)", style="rock"),
    "dropout_126": lambda name, s, rng: _drum_case(
        name, s, rng, 126, note="drums drop out for 4 s mid-file; bass and pad keep playing",
        style="four", drum_gaps=((s / 2 - 2.0, s / 2 + 2.0),)),
    "jitter_96": lambda name, s, rng: _drum_case(
        name, s, rng, 96, note="every hit 12 ms (std) off the grid, like a live drummer",
        style="rock", jitter=0.012),
}


def generate(name: str, seconds: float = 30.0, seed: int = 0) -> StressCase:
    """Build one case; the same name, length and seed always give the same audio."""
    if name not in CASES:
        raise ValueError(f"unknown stress case {name!r} (expected one of {sorted(CASES)})")
    index = list(CASES).index(name)
    return CASES[name](name, seconds, np.random.default_rng([seed, index]))


def write_wav(path, x):
    """x in [-1, 1] as 16-bit mono WAV (no normalisation, so quiet cases stay quiet)."""
    pcm = np.round(np.clip(x * PEAK, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def write_list(path, arr, header=None):
    with open(path, "w") as f:
        if header:
            f.write("# " + header + "\n")
        for v in arr:
            f.write(f"{v:.6f}\n")


def write_case(case: StressCase, out: Path) -> None:
    """NAME.wav, NAME.beats, NAME.onsets and NAME.bpm in the folder out."""
    out.mkdir(parents=True, exist_ok=True)
    write_wav(out / f"{case.name}.wav", case.audio)
    write_list(out / f"{case.name}.beats", case.beats, case.note or None)
    write_list(out / f"{case.name}.onsets", case.onsets)
    with open(out / f"{case.name}.bpm", "w") as f:
        if case.note:
            f.write(f"# {case.note}; value = tempo at end of file\n")
        f.write(f"{case.bpm:g}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", default="synth", type=Path)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    a = ap.parse_args(argv)
    for name in a.cases:
        write_case(generate(name, a.seconds, a.seed), a.out)
    print("wrote", len(a.cases), "cases to", a.out)


if __name__ == "__main__":
    main()
