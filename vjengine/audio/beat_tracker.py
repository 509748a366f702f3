"""Causal beat tracker: cumulative-score phase tracking that predicts each beat before it sounds.

The method follows the real-time trackers of Davies & Plumbley (2007) and Stark, Davies & Plumbley
(2009): a cumulative score adds each frame's onset strength to the best score one beat period
earlier (weighted by a log-Gaussian around the period), so the score peaks on a regular chain of
onsets. Half a beat after each beat the score is extrapolated one period into the future (with no
onsets) and the next beat is predicted where it peaks, near the expected time. The score is fed the
onset strength's two-hop attack (soft attacks count in full) and the low band. When a new tempo is
published, the scores of the last few seconds are redone at it, so the phase re-locks at once; when
the onsets of three beats in a row have moved off the predicted beats at a steady new period, that
period becomes the tempo at once (an abrupt change, which the tempo estimate takes seconds to see).
The low band (kick, bass) arbitrates between the beat and the off-beat: when it sounds clearly more
between the predicted beats than on them, the chain has locked onto off-beat chops and the beat
moves by half a period. The tempo comes from TempoEstimator. Beats are reported `beat_lookahead`
seconds before they happen, with their predicted time; none are reported while the input is silent,
but the phase keeps running so the beat picks up again where it should.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from vjengine.audio.onset_strength import OnsetStrength
from vjengine.audio.tempo_estimate import MIN_BPM, TempoEstimator, same_tempo

if TYPE_CHECKING:
    from vjengine.audio.analysis import AnalysisConfig

SCORE_MEMORY = 0.9  # weight of the past chain against the current onset in the cumulative score
TIGHTNESS = 6.0  # width of the log-Gaussian weight around one period: higher = stricter tempo
EXPECTATION_WIDTH = 1.0  # std (in beat periods) of the window around the expected next beat
TEMPO_UPDATE_SECONDS = 0.1
WARMUP_SECONDS = 1.0  # onset history needed before the first tempo estimate
SILENCE_DB = -40.0  # input this far below its long-term level counts as silence
SILENCE_FLOOR_DB = -90.0  # and below this absolute level (dBFS) always
SILENCE_HOLD_SECONDS = 0.3  # silence starts this long after the last hop above the threshold
LONG_LEVEL_SECONDS = 10.0  # time constant of the long-term input level
LEVEL_RELEASE_SECONDS = 300.0  # the silence threshold follows a falling level this slowly, so a
# noise floor after the music stays silent for many minutes (40 dB take ~45 min)
LOW_PHASE_WEIGHT = 1.0  # extra weight of the low-band onsets (kick, bass) in the phase score
CONFIDENCE_SECONDS = 1.0  # smoothing of the confidence
FULL_CONFIDENCE_PERIODICITY = 0.2  # onsets this periodic at the tempo (steady drums) give confidence 1
START_CONFIDENCE = 0.15  # beats are reported from this confidence on, until it falls below
STOP_CONFIDENCE = 0.1  # this (no clear pulse: noise, a crowd, ambient); noise alone reaches ~0.11
OFFBEAT_BEATS = 16  # beats of low-band evidence that decide between the beat and the off-beat
OFFBEAT_RATIO = 1.5  # the off-beat must carry this much more low-band onset to move the beat
FOLLOW_WINDOW = 0.35  # a beat's onset is the largest accent within this share of a period of it
FOLLOW_SPREAD_FRAMES = 1.0  # two beat intervals this close are one steady new period
FOLLOW_RANGE = 1.08, 1.25  # the beats' onsets set the tempo when its ratio to the tracked one is in
# this range: smaller changes drift the beats by less than ~40 ms each (at 120 BPM), the
# autocorrelation follows them soon, and on real music three onsets 5% apart happen by chance
FOLLOW_CONFIDENCE = 0.95  # and only from a pulse as clear as steady drums (real songs are looser)
ONSET_DELAY_SECONDS = 0.005  # an onset peaks in the onset strength this long after it sounds


class _Ring:
    """Fixed-size history of floats; `last(n)` is a contiguous view, oldest first."""

    def __init__(self, size: int):
        self.size = size
        self._data = np.zeros(2 * size)
        self._end = size  # values live in [_end - size, _end)

    def push(self, value: float) -> None:
        if self._end == 2 * self.size:
            self._data[:self.size] = self._data[self.size:]
            self._end = self.size
        self._data[self._end] = value
        self._end += 1

    def last(self, count: int) -> np.ndarray:
        return self._data[self._end - count:self._end]


class PredictiveBeatTracker:
    """Tempo (comb filter + prior + HMM) and phase (cumulative score) from the onset strength.

    Implements the TempoTracker protocol; called by the analysis thread once per hop.
    confidence (0..1) is the periodicity of the onsets at the tracked tempo, smoothed over
    CONFIDENCE_SECONDS and scaled so steady drums give 1 (real songs about 0.3-0.7, noise up to
    ~0.11), and 0 while the input is silent. Beats are reported once it reaches START_CONFIDENCE
    and until it falls below STOP_CONFIDENCE: the gap keeps noise's chance periodicities from
    starting the beat without cutting it in the soft passages of a song.
    """

    name = "predictive"

    def __init__(self, config: AnalysisConfig):
        self.samplerate = config.samplerate
        self.hop_seconds = config.hop_size / config.samplerate
        self.lookahead = config.beat_lookahead
        frames_per_second = 1.0 / self.hop_seconds
        self._onset_strength = OnsetStrength(config.samplerate, config.window_size, config.hop_size)
        self._update_every = max(1, round(TEMPO_UPDATE_SECONDS * frames_per_second))
        self._tempo = TempoEstimator(frames_per_second, frames_per_second / self._update_every)
        self._onsets = _Ring(self._tempo.history)
        self._low_onsets = _Ring(self._tempo.history)
        # every frame's low-band onset, silent or not, for OFFBEAT_BEATS beats at the slowest tempo
        # and the 2 frames around the oldest one that _offbeat_shift looks at
        offbeat_frames = int(math.ceil(OFFBEAT_BEATS * 60.0 * frames_per_second / MIN_BPM))
        self._low_recent = _Ring(offbeat_frames + 3)
        self._max_lag = int(math.ceil(2 * 60.0 * frames_per_second / MIN_BPM))
        self._scores = _Ring(self._max_lag)
        self._accents = _Ring(2 * self._max_lag)  # what the latest scores were made of
        self._lags = np.arange(self._max_lag, 0, -1, dtype=float)  # lag of each entry of last(max_lag)
        self._weights = np.zeros(self._max_lag)
        self._period = 0.0  # frames per beat
        self._warmup = round(WARMUP_SECONDS * frames_per_second)
        self._frame = -1  # index of the latest frame
        self._last_beat = -math.inf  # frame (fractional) of the latest beat, reported or silent
        self._next_beat: float | None = None  # predicted frame of the next beat
        self._beat_onsets: list[int] = []  # frames of the onsets of the latest three beats
        self._measured_beat = -math.inf  # the latest beat whose onset is in _beat_onsets
        self._level_rate = 1.0 - math.exp(-self.hop_seconds / LONG_LEVEL_SECONDS)
        self._long_power = self._long_weight = self._reference_power = 0.0
        self._reference_decay = math.exp(-self.hop_seconds / LEVEL_RELEASE_SECONDS)
        self._silence_hold = round(SILENCE_HOLD_SECONDS * frames_per_second)
        self._last_sound = -self._silence_hold - 1  # latest frame above the silence threshold
        self.bpm = 0.0
        self.confidence = 0.0
        self._reporting = False  # between reaching START_CONFIDENCE and falling below STOP_CONFIDENCE
        self._pulse = self._pulse_weight = 0.0  # the tempo's periodicity, smoothed (and bias correction)
        self._pulse_rate = 1.0 - math.exp(-self.hop_seconds / CONFIDENCE_SECONDS)

    def process(self, hop: np.ndarray, t_end: float, magnitudes: np.ndarray) -> float | None:
        """Feed one hop ending at stream time t_end and its magnitude spectrum.

        Returns the (predicted) time of a beat that is due within beat_lookahead seconds, or None.
        """
        self._frame += 1
        silent = self._update_level(hop)
        onset = self._onset_strength(magnitudes)
        if not silent:  # a break leaves the tempo's evidence as it was, to pick up after it
            self._onsets.push(onset)
            self._low_onsets.push(self._onset_strength.low)
        if self._frame >= self._warmup and self._frame % self._update_every == 0:
            self._update_tempo()
        self._low_recent.push(self._onset_strength.low)
        accent = self._onset_strength.attack + LOW_PHASE_WEIGHT * self._onset_strength.low
        self._accents.push(accent)
        if self._period <= 0.0:
            self._scores.push(accent)
            return None
        self._scores.push(self._score(accent, self._scores.last(self._max_lag)))
        self._pulse += self._pulse_rate * (self._tempo.strength - self._pulse)
        self._pulse_weight += self._pulse_rate * (1.0 - self._pulse_weight)
        pulse = self._pulse / self._pulse_weight / FULL_CONFIDENCE_PERIODICITY
        self.confidence = 0.0 if silent else min(pulse, 1.0)
        if self.confidence >= START_CONFIDENCE:
            self._reporting = True
        elif self.confidence < STOP_CONFIDENCE:
            self._reporting = False
        if self._next_beat is None and self._frame - self._last_beat >= 0.5 * self._period:
            self._follow_onsets()
            self._next_beat = self._predict()
        if self._next_beat is None:
            return None
        beat_t = self._frame_time(self._next_beat)
        if beat_t - self.lookahead > t_end:
            return None
        self._last_beat, self._next_beat = self._next_beat, None
        return beat_t if self._reporting else None

    def _frame_time(self, frame: float) -> float:
        """Stream time of the onset that peaks in the onset strength at (fractional) frame."""
        return (frame + 1) * self.hop_seconds - ONSET_DELAY_SECONDS

    def _update_level(self, hop: np.ndarray) -> bool:
        """Track the input power; True while the input is silent."""
        power = float(np.dot(hop, hop)) / len(hop)
        self._long_power += self._level_rate * (power - self._long_power)
        self._long_weight += self._level_rate * (1.0 - self._long_weight)
        self._reference_power = max(self._long_power / self._long_weight,
                                    self._reference_power * self._reference_decay)
        floor = max(self._reference_power * 10 ** (SILENCE_DB / 10), 10 ** (SILENCE_FLOOR_DB / 10))
        if power >= floor:
            self._last_sound = self._frame
        return self._frame - self._last_sound > self._silence_hold

    def _update_tempo(self) -> None:
        count = min(self._frame + 1, self._tempo.history)
        bpm = self._tempo.update(self._onsets.last(count), self._low_onsets.last(count))
        if bpm <= 0.0:
            return
        changed = self._period > 0.0 and not same_tempo(bpm, self.bpm)
        self._set_tempo(bpm)
        if changed:
            self._rescore()

    def _set_tempo(self, bpm: float) -> None:
        self.bpm = bpm
        self._period = 60.0 / (bpm * self.hop_seconds)
        ratio = self._lags / self._period
        inside = (ratio >= 0.5) & (ratio <= 2.0)
        self._weights = np.where(inside, np.exp(-0.5 * (TIGHTNESS * np.log(np.maximum(ratio, 1e-9))) ** 2), 0.0)

    def _score(self, accent: float, past: np.ndarray) -> float:
        """Cumulative score of a frame: its accent plus the best chain one period before it
        (`past` holds the max_lag scores before the frame)."""
        return (1.0 - SCORE_MEMORY) * accent + SCORE_MEMORY * float((past * self._weights).max())

    def _follow_onsets(self) -> None:
        """Take up a new tempo from the onsets of the latest beats when they have moved off the
        predicted beats at a steady new period (an abrupt tempo change, a DJ's pitch move): three
        beats whose largest onsets are evenly spaced at a period FOLLOW_RANGE off the tracked one.
        The autocorrelation needs about 2.5 s of the new tempo to prefer it, and until then the
        old chain outweighs the new onsets, so every beat would land further off the music."""
        if self._last_beat == self._measured_beat:
            return  # the next beat is predicted again after a re-score: this one was measured
        self._measured_beat = self._last_beat
        if not math.isfinite(self._last_beat) or self.confidence < FOLLOW_CONFIDENCE:
            self._beat_onsets = []
            return
        accents = self._accents.last(self._accents.size)
        start = self._frame + 1 - len(accents)  # frame index of accents[0]
        reach = int(round(FOLLOW_WINDOW * self._period))
        half = int(round(0.5 * self._period))
        beat = int(round(self._last_beat)) - start
        if beat - half < 0 or beat + half >= len(accents):
            return
        onset = beat - reach + int(np.argmax(accents[beat - reach:beat + reach + 1]))
        if accents[onset] < accents[beat - half:beat + half + 1].max() or accents[onset] <= 0.0:
            self._beat_onsets = []  # this beat has no onset of its own: the chain is broken
            return
        self._beat_onsets = (self._beat_onsets + [onset + start])[-3:]
        if len(self._beat_onsets) < 3:
            return
        first, second = np.diff(self._beat_onsets)
        period = 0.5 * (first + second)
        ratio = period / self._period
        change = max(ratio, 1.0 / ratio)
        if abs(first - second) > FOLLOW_SPREAD_FRAMES or not FOLLOW_RANGE[0] <= change <= FOLLOW_RANGE[1]:
            return
        self._beat_onsets = []
        bpm = 60.0 / (period * self.hop_seconds)
        self._tempo.follow(bpm)
        self._set_tempo(bpm)
        self._rescore()

    def _rescore(self) -> None:
        """Redo the scores of the latest 2 * max_lag frames at the new tempo, so the phase
        re-locks as soon as a new tempo is published instead of after the old chain has faded;
        the next beat is predicted again."""
        accents = self._accents.last(self._accents.size)
        scores = np.zeros(self._max_lag + len(accents))
        for i, accent in enumerate(accents):
            scores[self._max_lag + i] = self._score(accent, scores[i:self._max_lag + i])
        self._scores.last(self._max_lag)[:] = scores[-self._max_lag:]
        self._next_beat = None

    def _predict(self) -> float:
        """Frame of the next beat: where the cumulative score, run on without onsets, peaks."""
        period = self._period
        horizon = max(1, int(round(period)))
        scores = np.concatenate([self._scores.last(self._max_lag), np.zeros(horizon)])
        for step in range(horizon):
            end = self._max_lag + step
            scores[end] = self._score(0.0, scores[end - self._max_lag:end])
        future = scores[self._max_lag:]
        expected = self._last_beat + period - self._frame if math.isfinite(self._last_beat) else 0.5 * period
        offsets = np.arange(1, horizon + 1, dtype=float)
        window = np.exp(-0.5 * ((offsets - expected) / (EXPECTATION_WIDTH * period)) ** 2)
        best = self._frame + 1 + int(np.argmax(future * window))
        return best + self._offbeat_shift(best)

    def _offbeat_shift(self, beat: float) -> float:
        """Half a period if, over the last OFFBEAT_BEATS beats of this phase, the low band (kick,
        bass) has sounded clearly more between the beats than on them, which means the chain has
        locked onto off-beat chops (ska, reggae guitar); else 0."""
        period = self._period
        low = self._low_recent.last(self._low_recent.size)
        start = self._frame + 1 - len(low)  # frame index of low[0]

        def peak(frame: float) -> float:  # the largest low-band onset within 2 frames
            i = int(round(frame)) - start
            return float(low[i - 2:i + 3].max()) if 2 <= i < len(low) - 2 else 0.0

        on = sum(peak(beat - k * period) for k in range(1, OFFBEAT_BEATS + 1))
        off = sum(peak(beat - (k - 0.5) * period) for k in range(1, OFFBEAT_BEATS + 1))
        if off <= OFFBEAT_RATIO * on or off <= 0.0:
            return 0.0
        return 0.5 * period if beat - 0.5 * period <= self._frame else -0.5 * period
