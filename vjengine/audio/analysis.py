"""Causal audio analysis: aubio onsets and tempo plus band energies, hop by hop, into AudioFeatures."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aubio
import numpy as np

from vjengine.audio.beat_tracker import PredictiveBeatTracker
from vjengine.audio.energy import EnergyMeter
from vjengine.audio.features import AudioFeatures
from vjengine.audio.structure import StructureTracker

log = logging.getLogger(__name__)

BANDS_HZ = {"bass": (20.0, 250.0), "mid": (250.0, 4000.0), "treble": (4000.0, 16000.0)}
AVERAGE_SECONDS = 4.0  # running average the band energies are measured against
ATTACK_SECONDS, RELEASE_SECONDS = 0.03, 0.5  # smoothing of the *_att values
MAX_BEAT_LOOKAHEAD = 0.15  # beats are predicted half a beat ahead: 0.15 s at 200 BPM


@dataclass(frozen=True)
class AnalysisConfig:
    """Sizes of the analysis; hop_size samples are fed per call."""

    samplerate: int = 44100
    hop_size: int = 512
    window_size: int = 1024
    onset_method: str = "specflux"
    tracker: str = "predictive"
    # Beats are reported this many seconds before they sound (with their predicted time), so a
    # visual rendered and displayed that much later still lands on the beat. Set it to the
    # render + display latency; at most MAX_BEAT_LOOKAHEAD. aubio's tracker ignores it.
    beat_lookahead: float = 0.05

    def __post_init__(self):
        if not 0.0 <= self.beat_lookahead <= MAX_BEAT_LOOKAHEAD:
            raise ValueError(f"beat_lookahead must be within 0..{MAX_BEAT_LOOKAHEAD} s, got {self.beat_lookahead}")


class TempoTracker(Protocol):
    """A causal beat tracker fed the same hops as the analysis, with their magnitude spectra."""

    name: str
    bpm: float
    confidence: float  # 0..1

    def process(self, hop: np.ndarray, t_end: float, magnitudes: np.ndarray) -> float | None:
        """Feed one hop ending at stream time t_end; return a beat's time if one is due.

        The time may lie up to config.beat_lookahead after t_end (a predicted beat).
        """


class AubioTempo:
    """aubio's own live beat tracker (its `tempo` object, default method)."""

    name = "aubio"

    def __init__(self, config: AnalysisConfig):
        self._tempo = aubio.tempo("default", config.window_size, config.hop_size, config.samplerate)
        self.bpm = 0.0
        self.confidence = 0.0

    def process(self, hop: np.ndarray, t_end: float, magnitudes: np.ndarray) -> float | None:
        is_beat = bool(self._tempo(hop)[0])
        self.bpm = float(self._tempo.get_bpm())
        self.confidence = float(self._tempo.get_confidence())
        return float(self._tempo.get_last_s()) if is_beat else None


TRACKERS: dict[str, type] = {"predictive": PredictiveBeatTracker, "aubio": AubioTempo}


def make_tracker(config: AnalysisConfig) -> TempoTracker:
    """The tempo tracker named in config; a clear error lists the valid names."""
    try:
        return TRACKERS[config.tracker](config)
    except KeyError:
        raise ValueError(f"unknown beat tracker {config.tracker!r} (expected one of {sorted(TRACKERS)})") from None


class _Smoother:
    """Band energy relative to its running average, plus an attack/release smoothed copy."""

    def __init__(self, hop_seconds: float):
        self._avg_rate = hop_seconds / AVERAGE_SECONDS
        self._attack = 1.0 - math.exp(-hop_seconds / ATTACK_SECONDS)
        self._release = 1.0 - math.exp(-hop_seconds / RELEASE_SECONDS)
        self._avg = 0.0
        self._avg_weight = 0.0  # bias correction while the average warms up
        self.relative = 1.0
        self.attenuated = 1.0

    def update(self, energy: float, floor: float) -> None:
        self._avg += self._avg_rate * (energy - self._avg)
        self._avg_weight += self._avg_rate * (1.0 - self._avg_weight)
        average = self._avg / self._avg_weight
        self.relative = (energy + floor) / (average + floor)
        rate = self._attack if self.relative > self.attenuated else self._release
        self.attenuated += rate * (self.relative - self.attenuated)


class Analyzer:
    """Turns exact hops into AudioFeatures; causal, so live and offline give the same result.

    Called by the analysis thread live, and inline by the offline renderer and `vjengine analyze`.
    """

    def __init__(self, config: AnalysisConfig = AnalysisConfig()):
        self.config = config
        self._pvoc = aubio.pvoc(config.window_size, config.hop_size)
        self._onset = aubio.onset(config.onset_method, config.window_size, config.hop_size,
                                  config.samplerate)
        self.tracker = make_tracker(config)
        freqs = np.fft.rfftfreq(config.window_size, 1.0 / config.samplerate)
        self._band_masks = {name: (freqs >= lo) & (freqs < hi) for name, (lo, hi) in BANDS_HZ.items()}
        hop_seconds = config.hop_size / config.samplerate
        self._bands = {name: _Smoother(hop_seconds) for name in BANDS_HZ}
        self._energy = EnergyMeter(hop_seconds)
        self._energy_floor = 1e-6 * config.window_size
        self.structure = StructureTracker(config.samplerate, config.window_size, config.hop_size)
        self._samples_done = 0
        self.features = AudioFeatures(tempo_source=self.tracker.name)

    @property
    def hops(self) -> int:
        """How many hops have been processed."""
        return self._samples_done // self.config.hop_size

    def process(self, hop: np.ndarray) -> AudioFeatures:
        """Analyse one hop (float32, exactly hop_size samples) and return the new features."""
        if hop.shape != (self.config.hop_size,) or hop.dtype != np.float32:
            raise ValueError(f"analysis hop must be float32[{self.config.hop_size}], got {hop.dtype}{hop.shape}")
        self._samples_done += self.config.hop_size
        t_end = self._samples_done / self.config.samplerate
        magnitudes = self._pvoc(hop).norm
        power = np.square(magnitudes)
        for name, smoother in self._bands.items():
            smoother.update(float(power[self._band_masks[name]].sum()), self._energy_floor)
        previous = self.features
        onset_t, onset_count = previous.onset_t, previous.onset_count
        if self._onset(hop)[0]:
            onset_t, onset_count = float(self._onset.get_last_s()), onset_count + 1
        beat_t, beat_count = previous.beat_t, previous.beat_count
        beat = self.tracker.process(hop, t_end, magnitudes)
        if beat is not None:
            beat_t, beat_count = beat, beat_count + 1
        bands = self._bands
        mean_square = float(np.mean(np.square(hop)))
        energy = self._energy.update(mean_square)
        section = self.structure.update(power, mean_square, t_end)
        self.features = AudioFeatures(
            t=t_end, rms=float(np.sqrt(mean_square)), energy=energy,
            bass=bands["bass"].relative, mid=bands["mid"].relative, treble=bands["treble"].relative,
            bass_att=bands["bass"].attenuated, mid_att=bands["mid"].attenuated,
            treble_att=bands["treble"].attenuated,
            onset_t=onset_t, beat_t=beat_t, onset_count=onset_count, beat_count=beat_count,
            bpm=self.tracker.bpm, confidence=self.tracker.confidence, tempo_source=self.tracker.name,
            section=section.index, section_start=section.start, section_kind=section.kind,
            energy_class=self.structure.energy_class, trend=self.structure.trend,
        )
        return self.features


class AnalysisThread(threading.Thread):
    """Reads exact hops from an input's ring, analyses them and publishes the latest features.

    Readers call `latest()` from any thread: one reference swap, no locks. While the input is
    lost, silent hops keep the analysis clock running in step with wall time, so features ease
    to rest and beat phase keeps going; when it returns, analysis carries on from the ring.
    """

    CHECK_SECONDS = 0.1
    STALL_SECONDS = 0.3
    LEVEL_HALF_LIFE = 0.3  # the level meter holds peaks and falls by half in this many seconds

    def __init__(self, source, analyzer: Analyzer, gain: float = 1.0):
        super().__init__(daemon=True, name="analysis")
        self.source = source
        self.analyzer = analyzer
        self.gain = gain
        # Called with every hop analysed (after mix and gain; silence while the input is lost),
        # e.g. by a recorder or a show journal. Runs on this thread: copy, queue, return.
        self.taps: list[Callable[[np.ndarray], None]] = []
        self.hops = 0
        self.silent_hops = 0
        self.errors = 0
        self.level = 0.0  # peak meter for the HUD: the last hop's peak, or the falling hold
        self._published = (analyzer.features, time.perf_counter(), 0)
        self._stop_event = threading.Event()

    def latest(self) -> tuple[AudioFeatures, float]:
        """The newest features and the perf_counter() time they were published (any thread)."""
        features, wall, _ = self._published
        return features, wall

    def snapshot(self) -> tuple[AudioFeatures, float, int]:
        """latest() plus how many hops had been analysed for those features (any thread)."""
        return self._published

    def stop(self) -> None:
        self._stop_event.set()

    def _publish(self, hop: np.ndarray, wall: float) -> None:
        for tap in self.taps:
            tap(hop)
        features = self.analyzer.process(hop)
        self.hops += 1
        self._published = (features, wall, self.hops)

    def run(self) -> None:
        hop_size = self.analyzer.config.hop_size
        hop_seconds = hop_size / self.analyzer.config.samplerate
        release = 0.5 ** (hop_seconds / self.LEVEL_HALF_LIFE)
        block = np.zeros((hop_size, self.source.ring.channels), dtype=np.float32)
        hop = np.zeros(hop_size, dtype=np.float32)
        silence = np.zeros(hop_size, dtype=np.float32)
        next_check = 0.0
        while not self._stop_event.is_set():
            now = time.perf_counter()
            if now >= next_check:
                next_check = now + self.CHECK_SECONDS
                try:
                    self.source.check()
                except Exception:  # a failing device layer must not end the analysis
                    self.errors += 1
                    if self.errors == 1:
                        log.exception("audio input check failed; analysis goes on")
            fed = False
            while self.source.ring.read_into(block):
                channel = self.source.channel
                if channel is None:
                    np.mean(block, axis=1, out=hop)
                else:
                    hop[:] = block[:, min(channel, block.shape[1]) - 1]
                np.nan_to_num(hop, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
                if self.gain != 1.0:
                    hop *= self.gain
                self.level = max(float(np.abs(hop).max()), self.level * release)
                self._publish(hop, time.perf_counter())
                fed = True
            if not fed:
                _, wall, _ = self._published
                if now - wall > self.STALL_SECONDS:
                    while now - wall >= hop_seconds:
                        wall += hop_seconds
                        self._publish(silence, wall)
                        self.silent_hops += 1
                    self.level = 0.0
            self._stop_event.wait(hop_seconds / 2)
