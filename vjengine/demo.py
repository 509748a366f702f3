"""Generated music: the demo track, test grooves and songs with known sections, from oscillators and noise (no samples, no rights)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SAMPLERATE = 44100


def _decay(n: int, seconds: float) -> np.ndarray:
    return np.exp(-np.arange(n) / (seconds * SAMPLERATE))


def kick() -> np.ndarray:
    n = int(0.4 * SAMPLERATE)
    t = np.arange(n) / SAMPLERATE
    pitch = 48.0 + 120.0 * np.exp(-t / 0.035)
    return np.sin(2 * np.pi * np.cumsum(pitch) / SAMPLERATE) * _decay(n, 0.16)


def noise_hit(rng: np.random.Generator, seconds: float, decay: float, highpass: float) -> np.ndarray:
    n = int(seconds * SAMPLERATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[np.fft.rfftfreq(n, 1 / SAMPLERATE) < highpass] = 0
    x = np.fft.irfft(spectrum, n)
    return x / np.abs(x).max() * _decay(n, decay)


def snare(rng: np.random.Generator) -> np.ndarray:
    n = int(0.3 * SAMPLERATE)
    body = np.sin(2 * np.pi * 190 * np.arange(n) / SAMPLERATE) * _decay(n, 0.06)
    return 0.5 * body + 0.7 * noise_hit(rng, 0.3, 0.08, 1200)


def bass(freq: float, seconds: float) -> np.ndarray:
    n = int(seconds * SAMPLERATE)
    t = np.arange(n) / SAMPLERATE
    saw = sum(np.sin(2 * np.pi * k * freq * t) / k for k in range(1, 7))
    return saw * np.minimum(1.0, t / 0.004) * _decay(n, seconds * 0.6)


def pad(seconds: float, root: float) -> np.ndarray:
    t = np.arange(int(seconds * SAMPLERATE)) / SAMPLERATE
    chord = sum(np.sin(2 * np.pi * root * r * t + 0.4 * np.sin(2 * np.pi * 0.25 * t))
                for r in (1.0, 1.189, 1.498, 2.0))
    return chord * np.minimum(1.0, t / 1.5) * np.minimum(1.0, (seconds - t) / 0.5)


def _add(buffer: np.ndarray, sound: np.ndarray, at: float, gain: float = 1.0) -> None:
    start = int(round(at * SAMPLERATE))
    if start >= len(buffer):
        return
    stop = min(len(buffer), start + len(sound))
    buffer[start:stop] += gain * sound[:stop - start]


def demo_track(seconds: float = 32.0, bpm: float = 124.0, seed: int = 7) -> np.ndarray:
    """A mono float32 track: intro, four-on-the-floor groove, a breakdown, and the drop."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    out = np.zeros(int(seconds * SAMPLERATE))
    roots = (55.0, 55.0, 43.65, 49.0)
    k, s = kick(), snare(rng)
    for i in range(int(seconds / beat)):
        t, bar = i * beat, i // 4
        section = (bar // 4) % 4  # 4-bar sections: intro, groove, breakdown, drop
        if section != 2:
            _add(out, k, t, 0.9)
        if section >= 1 and section != 2 and i % 4 in (1, 3):
            _add(out, s, t, 0.6)
        if section != 0:
            _add(out, noise_hit(rng, 0.08, 0.02, 7000), t + beat / 2, 0.25)
        if section in (1, 3) and i % 2 == 0:
            _add(out, bass(roots[bar % 4], beat * 1.8), t, 0.3)
    for start in np.arange(0.0, seconds, 16 * beat):
        length = min(16 * beat, seconds - start)
        _add(out, pad(length, 220.0 * (1.0 if int(start / beat) % 32 == 0 else 0.891)), start, 0.05)
    return (0.9 * out / np.abs(out).max()).astype(np.float32)


def write_wav(path: str | Path, samples: np.ndarray, samplerate: int = SAMPLERATE) -> Path:
    """Write mono float samples in [-1, 1] as 16-bit PCM WAV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(samplerate)
        w.writeframes(pcm.tobytes())
    return path


def drum_loop(bpm: float, seconds: float, seed: int = 3) -> np.ndarray:
    """A steady groove for tests and benchmarks: kick on every beat, snare on 2 and 4, off-beat hats."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    out = np.zeros(int(seconds * SAMPLERATE))
    k, s = kick(), snare(rng)
    for i in range(int(seconds / beat)):
        t = i * beat
        _add(out, k, t, 0.9)
        if i % 4 in (1, 3):
            _add(out, s, t, 0.5)
        _add(out, noise_hit(rng, 0.08, 0.02, 7000), t + beat / 2, 0.2)
    return (0.9 * out / np.abs(out).max()).astype(np.float32)


# (name, bars, energy class): intro, verse, build, drop, breakdown, drop
SECTIONS = (("intro", 8, "mid"), ("verse", 8, "high"), ("build", 4, "mid"), ("drop", 8, "high"),
            ("breakdown", 8, "low"), ("drop", 8, "high"))


def sectioned_song(bpm: float = 124.0, seed: int = 5, sections=SECTIONS) -> tuple[np.ndarray, list[float]]:
    """A mono float32 song and the start time of every section after the first."""
    rng = np.random.default_rng(seed)
    beat = 60.0 / bpm
    total_bars = sum(bars for _, bars, _ in sections)
    out = np.zeros(int((total_bars * 4 * beat + 1.0) * SAMPLERATE))
    k, s = kick(), snare(rng)
    hat = noise_hit(rng, 0.08, 0.02, 7000)
    bar0, starts = 0, []
    for name, bars, _ in sections:
        start = bar0 * 4 * beat
        if bar0:
            starts.append(start)
        for i in range(bars * 4):
            t, bar = start + i * beat, bar0 + i // 4
            root = (55.0, 55.0, 43.65, 49.0)[bar % 4]
            if name in ("intro", "verse", "drop"):
                _add(out, k, t, 0.9 if name != "intro" else 0.5)
            if name in ("verse", "drop") and i % 4 in (1, 3):
                _add(out, s, t, 0.6)
            if name in ("verse", "drop", "build"):
                _add(out, hat, t + beat / 2, 0.25)
            if name == "drop" and i % 2 == 0:
                _add(out, bass(root, beat * 1.8), t, 0.45)
            if name == "build":
                for j in range(1 + 2 * i // (bars * 4 // 2)):
                    _add(out, s, t + j * beat / 4, 0.15 + 0.35 * i / (bars * 4))
        _add(out, pad(bars * 4 * beat, 220.0), start, 0.08 if name != "breakdown" else 0.12)
        bar0 += bars
    return (0.9 * out / np.abs(out).max()).astype(np.float32), starts
