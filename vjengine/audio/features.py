"""AudioFeatures: the frozen per-hop analysis result that the render thread reads without locks."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class AudioFeatures:
    """What the analysis knows at stream time t (seconds since the stream started).

    Band values are energies relative to their running average (1.0 = average);
    the `_att` variants are smoothed with a fast attack and slow release.
    """

    t: float = 0.0
    rms: float = 0.0
    energy: float = 0.0  # loudness against the song's loud parts, 0..1 (audio.energy)
    bass: float = 1.0
    mid: float = 1.0
    treble: float = 1.0
    bass_att: float = 1.0
    mid_att: float = 1.0
    treble_att: float = 1.0
    onset_t: float = -math.inf  # stream time of the last onset
    beat_t: float = -math.inf  # stream time of the last beat
    onset_count: int = 0
    beat_count: int = 0
    bpm: float = 0.0
    confidence: float = 0.0
    tempo_source: str = "none"
    section: int = 0  # index of the song section (audio.structure), 0 from the start
    section_start: float = 0.0  # stream time the section began
    section_kind: str = "start"  # how it began: start, drop, breakdown, change
    energy_class: str = "low"  # low, mid, high
    trend: str = "steady"  # build while the loudness keeps rising

    @property
    def period(self) -> float:
        """Seconds per beat, or 0 without a tempo."""
        return 60.0 / self.bpm if self.bpm > 0 else 0.0

    def beat_phase(self, t: float) -> float:
        """Position within the beat at time t in [0, 1), extrapolated from the last beat and tempo."""
        if self.period <= 0 or not math.isfinite(self.beat_t):
            return 0.0
        return ((t - self.beat_t) / self.period) % 1.0

    def eased_to_rest(self, amount: float) -> "AudioFeatures":
        """These features moved `amount` (0..1) of the way toward silence; tempo is kept."""
        k = 1.0 - min(max(amount, 0.0), 1.0)

        def ease(value: float) -> float:
            return 1.0 + (value - 1.0) * k

        return AudioFeatures(
            t=self.t, rms=self.rms * k, energy=self.energy * k,
            bass=ease(self.bass), mid=ease(self.mid), treble=ease(self.treble),
            bass_att=ease(self.bass_att), mid_att=ease(self.mid_att), treble_att=ease(self.treble_att),
            onset_t=self.onset_t, beat_t=self.beat_t, onset_count=self.onset_count,
            beat_count=self.beat_count, bpm=self.bpm, confidence=self.confidence * k,
            tempo_source=self.tempo_source, section=self.section, section_start=self.section_start,
            section_kind=self.section_kind, energy_class=self.energy_class, trend=self.trend,
        )


SILENCE = AudioFeatures()
