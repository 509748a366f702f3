"""The live audio front end: the input, the analysis thread that reads it, and the clock they drive."""

from __future__ import annotations

import logging
from pathlib import Path

from vjengine.audio.analysis import MAX_BEAT_LOOKAHEAD, AnalysisConfig, AnalysisThread, Analyzer
from vjengine.audio.capture import AudioInput, find_device
from vjengine.audio.features import AudioFeatures
from vjengine.audio.filesource import LoopInput, decode
from vjengine.clock import AudioClock
from vjengine.config import AudioConfig
from vjengine.demo import demo_track
from vjengine.errors import InputError

log = logging.getLogger(__name__)


def open_audio(audio: AudioConfig) -> AudioInput | LoopInput:
    """The input: a device, "demo" or an audio file looping, or (no device at all) the demo track."""
    if audio.input == "demo":
        log.info("audio input: the demo track, looping")
        return LoopInput(demo_track(), audio.samplerate)
    if audio.input is not None and Path(audio.input).is_file():
        log.info("audio input: %s, looping", audio.input)
        return LoopInput(decode(audio.input, audio.samplerate), audio.samplerate)
    device = find_device(audio.input)  # a named device that doesn't exist is an InputError
    if device is None:
        if not audio.demo_fallback:
            raise InputError("no audio input device found (and --no-demo-fallback was given)")
        log.warning("no audio input device: looping the demo track as the input")
        return LoopInput(demo_track(), audio.samplerate)
    source = AudioInput(audio.input, audio.samplerate, audio.channel)
    source.open()
    return source


class AudioFrontEnd:
    """Built before the controls (they stamp events with `clock`); `open()` opens the input.

    The clock follows the analysed audio once it is open: see clock.AudioClock.
    """

    def __init__(self, config: AudioConfig, latency: float):
        self.config = config
        # Beats must be known `latency` early for a picture rendered that far ahead to land on them.
        self.analysis_config = AnalysisConfig(samplerate=config.samplerate,
                                              beat_lookahead=min(max(latency, 0.0), MAX_BEAT_LOOKAHEAD))
        self.clock = AudioClock(self._published)
        self.source: AudioInput | LoopInput | None = None
        self.analysis: AnalysisThread | None = None

    def open(self) -> None:
        """Open the input and build the analysis thread (not started); taps may be added after."""
        self.source = open_audio(self.config)
        self.analysis = AnalysisThread(self.source, Analyzer(self.analysis_config), gain=self.config.gain)

    def _published(self) -> tuple[float, float] | None:
        if self.analysis is None:
            return None
        features, wall = self.analysis.latest()
        return features.t, wall

    def latest(self) -> tuple[AudioFeatures, int]:
        """The newest features and how many hops had been analysed for them (render thread)."""
        features, _, hops = self.analysis.snapshot()
        return features, hops

    @property
    def status(self) -> str:
        """The input's state: live, lost, demo, ..."""
        return getattr(self.source, "status", "?")

    def start(self) -> None:
        self.analysis.start()

    def close(self) -> None:
        """Stop the analysis and close the input (whichever of them exist)."""
        if self.analysis is not None:
            self.analysis.stop()
        if self.source is not None:
            self.source.close()
