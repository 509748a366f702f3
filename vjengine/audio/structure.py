"""Causal song structure: section boundaries, their kind, and the energy class, hop by hop.

Hops are pooled into ~0.19 s frames of a few timbre features (log band energies, spectral
centroid and flatness, loudness). Two detectors confirm a boundary a short time after it happens
and report it with the time it happened:
- a loudness jump (the last ~0.6 s against the ~2 s before it, >= JUMP_DB): a drop or a
  breakdown, confirmed within about a second;
- a novelty peak, for changes of sound at the same loudness, confirmed KERNEL_FRAMES later: the
  contrast between the two halves of the last 2 * KERNEL_FRAMES frames (the mean difference of
  each feature in units of its spread within the halves: what Foote's checkerboard kernel
  measures on a self-similarity matrix, as a cheap two-sample statistic), peaking above its
  recent median.
A boundary too close to the previous one (MIN_GAP_SECONDS, MIN_JUMP_GAP_SECONDS) is ignored.
The energy class compares the loudness of the last ~1.5 s with the song's loudest so far.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

FRAME_SECONDS = 0.186  # pooled frame, ~5.4 Hz
EDGES_HZ = (40.0, 120.0, 300.0, 800.0, 2000.0, 5000.0, 16000.0)  # six log-spaced bands
KERNEL_FRAMES = 12  # each half of the novelty window: ~2.2 s
SHORT_FRAMES, LONG_FRAMES = 3, 12  # loudness now (~0.56 s) against before it (~2.2 s)
JUMP_DB = 6.0
MIN_GAP_SECONDS = 4.0  # a novelty boundary this soon after the last one is ignored
MIN_JUMP_GAP_SECONDS = 2.0  # a loudness jump may follow the last boundary sooner
NOVELTY_THRESHOLD = 1.3  # a novelty peak (feature contrast in within-half spreads) reaches this
NOVELTY_CONTRAST = 1.5  # ... and this many times the median novelty of the last
NOVELTY_MEMORY_SECONDS = 8.0
PEAK_FRAMES = 2  # a peak is the largest within this many frames either side
LEVEL_FRAMES = 8  # the energy class reads the loudness of the last ~1.5 s
HIGH_WITHIN_DB, LOW_BELOW_DB = 3.0, 6.0  # against the song's loudest so far: high within, low below
PEAK_FALL_DB_PER_SECOND = 0.05  # the loudest-so-far forgets this slowly
BUILD_DB_PER_SECOND = 1.0  # loudness rising this fast over ~4 s is a build
SILENCE_DB = -60.0


def energy_class(level_db: float, peak_db: float) -> str:
    """"low", "mid" or "high" for a loudness against the song's loudest so far."""
    below = peak_db - level_db
    return "high" if below <= HIGH_WITHIN_DB else "low" if below > LOW_BELOW_DB else "mid"


@dataclass(frozen=True)
class Section:
    """The section the song is in: its index (0 = from the start), start time and kind."""

    index: int = 0
    start: float = 0.0
    kind: str = "start"  # start, drop, breakdown, change


class StructureTracker:
    """Fed every hop's power spectrum and mean square (analysis thread)."""

    def __init__(self, samplerate: int, window_size: int, hop_size: int):
        self._hop_seconds = hop_size / samplerate
        self._frame_hops = max(1, round(FRAME_SECONDS / self._hop_seconds))
        self.frame_seconds = self._frame_hops * self._hop_seconds
        freqs = np.fft.rfftfreq(window_size, 1.0 / samplerate)
        self._band_of_bin = np.digitize(freqs, EDGES_HZ) - 1  # -1 / len: outside every band
        self._freqs = freqs
        self._power = np.zeros_like(freqs)
        self._previous_power = np.zeros_like(freqs)
        self._mean_square = 0.0
        self._hops = 0
        self._frames = 0
        self._vectors: deque[np.ndarray] = deque(maxlen=2 * KERNEL_FRAMES)
        self._loudness: deque[float] = deque(maxlen=SHORT_FRAMES + LONG_FRAMES)
        self._build: deque[float] = deque(maxlen=round(4.0 / self.frame_seconds))
        self._novelty: deque[float] = deque(maxlen=round(NOVELTY_MEMORY_SECONDS / self.frame_seconds))
        self._level: deque[float] = deque(maxlen=LEVEL_FRAMES)
        self._peak_db = -math.inf
        self.section = Section()
        self.trend = "steady"  # build when the loudness keeps rising
        self.energy_class = "low"

    def update(self, power: np.ndarray, mean_square: float, t_end: float) -> Section:
        """Add one hop ending at stream time t_end; returns the current section."""
        self._power += power
        self._mean_square += mean_square
        self._hops += 1
        if self._hops == self._frame_hops:
            self._frame(t_end)
            self._power[:] = 0.0
            self._mean_square, self._hops = 0.0, 0
        return self.section

    def _frame(self, t_end: float) -> None:
        self._frames += 1
        loudness = 10.0 * math.log10(self._mean_square / self._frame_hops + 1e-12)
        self._loudness.append(loudness)
        self._build.append(loudness)
        power = self._power + self._previous_power  # two frames: a beat's worth of sound at 160 BPM
        self._previous_power[:] = self._power
        bands = np.bincount(np.clip(self._band_of_bin, 0, len(EDGES_HZ) - 2), power,
                            minlength=len(EDGES_HZ) - 1)
        total = float(power.sum()) + 1e-12
        centroid = float((self._freqs * power).sum()) / total
        flatness = float(np.exp(np.mean(np.log(power + 1e-12)))) / (total / len(power))
        vector = np.concatenate([np.log10(bands + 1e-4 * total), [math.log2(centroid + 1.0), flatness * 10.0,
                                                         loudness / 10.0]])
        self._vectors.append(vector)
        self._update_trend()
        if loudness < SILENCE_DB:
            return
        self._update_class()
        self._check_jump(t_end)
        self._check_novelty(t_end)

    def _update_class(self) -> None:
        self._level.append(self._loudness[-1])
        level = _power_mean_db(list(self._level))
        self._peak_db = max(level, self._peak_db - PEAK_FALL_DB_PER_SECOND * self.frame_seconds)
        self.energy_class = energy_class(level, self._peak_db)

    def _update_trend(self) -> None:
        if len(self._build) < self._build.maxlen:
            return
        values = np.fromiter(self._build, float)
        slope = np.polyfit(np.arange(len(values)) * self.frame_seconds, values, 1)[0]
        self.trend = "build" if slope >= BUILD_DB_PER_SECOND else "steady"

    def _check_jump(self, t_end: float) -> None:
        if len(self._loudness) < self._loudness.maxlen:
            return
        values = list(self._loudness)
        before = _power_mean_db(values[:LONG_FRAMES])
        now = _power_mean_db(values[LONG_FRAMES:])
        jump = now - before
        if abs(jump) < JUMP_DB:
            return
        start = t_end - SHORT_FRAMES * self.frame_seconds
        self._boundary(start, "drop" if jump > 0 else "breakdown")

    def _check_novelty(self, t_end: float) -> None:
        if len(self._vectors) < self._vectors.maxlen:
            return
        features = np.stack(self._vectors)
        before, after = features[:KERNEL_FRAMES], features[KERNEL_FRAMES:]
        spread = np.sqrt((before.var(axis=0) + after.var(axis=0)) / 2.0) + 0.05
        contrast = (after.mean(axis=0) - before.mean(axis=0)) / spread
        self._novelty.append(float(np.sqrt(np.mean(contrast ** 2))))
        recent = list(self._novelty)
        if len(recent) < 2 * PEAK_FRAMES + 1:
            return
        candidate = recent[-PEAK_FRAMES - 1]
        threshold = max(NOVELTY_THRESHOLD, NOVELTY_CONTRAST * float(np.median(recent)))
        if candidate >= threshold and candidate == max(recent[-2 * PEAK_FRAMES - 1:]):
            start = t_end - (KERNEL_FRAMES + PEAK_FRAMES) * self.frame_seconds
            self._boundary(start, "change")

    def _boundary(self, start: float, kind: str) -> None:
        gap = MIN_JUMP_GAP_SECONDS if kind != "change" else MIN_GAP_SECONDS
        if start - self.section.start < gap:
            return
        self.section = Section(self.section.index + 1, start, kind)


def _power_mean_db(values: list[float]) -> float:
    return 10.0 * math.log10(sum(10.0 ** (v / 10.0) for v in values) / len(values))
