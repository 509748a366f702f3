"""Run the causal Analyzer over a whole recording and collect its beat, onset and tempo events."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from vjengine.audio.analysis import AnalysisConfig, Analyzer
from vjengine.audio.filesource import hops


@dataclass(frozen=True)
class Timeline:
    """Events of one recording as the live engine would have published them, hop by hop."""

    tracker: str
    duration: float  # seconds of audio
    beats: list[float]  # reported beat times, in the order they were reported
    onsets: list[float]
    tempo: list[tuple[float, float]]  # (beat time, bpm when it was reported)
    bpm: float  # tempo at the end
    confidence: float  # tracker confidence at the end
    cpu_seconds: float  # CPU time of the whole analysis
    tracker_cpu_seconds: float  # CPU time spent inside the tempo tracker

    def to_json(self) -> dict:
        """The timeline as JSON-ready data, times rounded to microseconds."""
        return {
            "tracker": self.tracker, "duration": round(self.duration, 6),
            "bpm": round(self.bpm, 3), "confidence": round(self.confidence, 3),
            "beats": [round(t, 6) for t in self.beats], "onsets": [round(t, 6) for t in self.onsets],
            "tempo": [[round(t, 6), round(bpm, 3)] for t, bpm in self.tempo],
            "cpu_seconds": round(self.cpu_seconds, 4), "tracker_cpu_seconds": round(self.tracker_cpu_seconds, 4),
        }


class _TimedTracker:
    """Wraps a tempo tracker and adds up the CPU time its process() calls take."""

    def __init__(self, tracker):
        self._tracker = tracker
        self.cpu_seconds = 0.0

    def __getattr__(self, name):
        return getattr(self._tracker, name)

    def process(self, *args):
        start = time.thread_time()
        try:
            return self._tracker.process(*args)
        finally:
            self.cpu_seconds += time.thread_time() - start


def analyze_samples(samples: np.ndarray, config: AnalysisConfig = AnalysisConfig()) -> Timeline:
    """Feed mono float32 samples at config.samplerate through a fresh Analyzer, exact hop by hop."""
    analyzer = Analyzer(config)
    timed = _TimedTracker(analyzer.tracker)
    analyzer.tracker = timed
    beats, onsets, tempo = [], [], []
    previous = features = analyzer.features
    start = time.thread_time()
    for hop in hops(np.asarray(samples, dtype=np.float32), config.hop_size):
        features = analyzer.process(hop)
        if features.beat_count != previous.beat_count:
            beats.append(features.beat_t)
            tempo.append((features.beat_t, features.bpm))
        if features.onset_count != previous.onset_count:
            onsets.append(features.onset_t)
        previous = features
    cpu = time.thread_time() - start
    return Timeline(tracker=features.tempo_source, duration=len(samples) / config.samplerate,
                    beats=beats, onsets=onsets, tempo=tempo, bpm=features.bpm,
                    confidence=features.confidence, cpu_seconds=cpu,
                    tracker_cpu_seconds=timed.cpu_seconds)
