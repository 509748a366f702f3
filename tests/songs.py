"""Generated songs with known sections (exact ground truth for the structure analysis)."""

from __future__ import annotations

import numpy as np

from vjengine.demo import SAMPLERATE, _add, bass, kick, noise_hit, pad, snare

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
