"""Causal tempo estimate: comb filter over the onset autocorrelation, a tempo prior and an HMM."""

from __future__ import annotations

import numpy as np

MIN_BPM, MAX_BPM = 55.0, 215.0
BPM_STEP = 1.01  # ratio between neighbouring tempo states
HISTORY_SECONDS = 9.0  # onset strength the autocorrelation looks at
RECENCY_SECONDS = 4.5  # older onsets are faded out exponentially, so tempo changes show up soon
UNBIAS_FADE = 0.5  # share of the fade's weight on long lags divided out again (see _unbiasing)
MIN_OVERLAP = 0.25  # the onsets overlap their shifted selves less than this at longer lags: these
# are not unbiased further, and the strength leaves them out while the history is still short
HARMONICS = 4  # the comb sums the autocorrelation at 1..HARMONICS beat periods
SMOOTHING_FRAMES = 5  # Hann smoothing of the autocorrelation: tolerates timing jitter
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0  # log-Gaussian tempo prior: centre and width
DRIFT_PER_UPDATE = 1.5  # std of the tempo change between updates, in states (1 state = 1%)
JUMP_PROBABILITY = 0.02  # chance per update of a jump to any tempo (a new track, a tempo change)
RECENT_SECONDS = 3.0  # the strength is also measured on this much of the latest onsets alone
LEVEL_SECONDS = 20.0  # memory of the evidence that picks the metrical level among T/2, T, 2T
LEVEL_MARGIN = 1.3  # another level must be this much more salient over that memory to take over
SUBDIVISION_WEIGHT = 0.5  # weight of the subdivision's autocorrelation next to the comb's
TEMPO_HOLD = 0.6  # the published tempo stays while it is this salient next to the HMM's new choice
SAME_TEMPO = 0.04  # tempi closer than this (log ratio, ~4%) are the same tempo, drifting
LOW_MIX = 0.5  # how much the low-band (kick, bass) periodicity at a tempo scales its salience
FOLLOW_HOLD_SECONDS = 2.0  # a tempo set by `follow` stays this long: the autocorrelation of the
# onsets before the change still prefers the old tempo


def same_tempo(a: float, b: float) -> bool:
    """Whether two tempi (BPM, both > 0) are within SAME_TEMPO of each other: one tempo, drifting."""
    return abs(np.log(a / b)) <= SAME_TEMPO


def _interpolation_rows(lags: np.ndarray, size: int) -> np.ndarray:
    """Matrix R with R @ acf = acf linearly interpolated at the fractional lags."""
    rows = np.zeros((len(lags), size))
    lower = np.floor(lags).astype(int)
    frac = lags - lower
    inside = lower + 1 < size
    idx = np.nonzero(inside)[0]
    rows[idx, lower[idx]] = 1.0 - frac[idx]
    rows[idx, lower[idx] + 1] = frac[idx]
    return rows


class TempoEstimator:
    """Tempo from the recent onset strength, tracked over time by an HMM over log-spaced tempi.

    Salience of a beat period T: the mean autocorrelation at T, 2T, .. HARMONICS*T (a comb filter)
    plus half the autocorrelation at the best subdivision of the beat (T/2 or T/3), so a tempo
    whose beats are not subdivided by the music (a doubled tempo) scores lower; only half, or a
    kick alone on every beat would be tracked at half its rate. The salience is weighted by
    a log-Gaussian tempo prior and filtered forward through an HMM whose states drift slowly and
    rarely jump, which follows tempo changes within a few seconds. When the HMM moves to the half
    or double of the published tempo, the published level is held until the new one has been
    clearly more salient over LEVEL_SECONDS (`_metrical_level`); when it jumps to another tempo,
    the published one stays while it is still nearly as salient (`_held_state`). A tempo that the
    beat tracker sees in the beats' own onsets after an abrupt change is published at once
    (`follow`).
    """

    def __init__(self, frames_per_second: float, updates_per_second: float):
        self.frames_per_second = frames_per_second
        self.bpms = MIN_BPM * BPM_STEP ** np.arange(int(np.log(MAX_BPM / MIN_BPM) / np.log(BPM_STEP)) + 1)
        periods = 60.0 * frames_per_second / self.bpms
        self.history = int(HISTORY_SECONDS * frames_per_second)
        self._fft_size = 1 << int(np.ceil(np.log2(2 * self.history)))
        size = int(np.ceil(HARMONICS * periods.max())) + 2
        # _combs[k]: the mean autocorrelation over the first k beat periods (k = 0: zeros)
        harmonics = np.cumsum([np.zeros((len(periods), size))]
                              + [_interpolation_rows(k * periods, size) for k in range(1, HARMONICS + 1)], axis=0)
        self._combs = harmonics / np.maximum(np.arange(HARMONICS + 1), 1)[:, None, None]
        self._comb = self._combs[HARMONICS]
        self._halves = _interpolation_rows(periods / 2, size)
        self._thirds = _interpolation_rows(periods / 3, size)
        self._lags = size
        window = np.hanning(SMOOTHING_FRAMES + 2)[1:-1]
        self._smoothing = window / window.sum()
        self._unbias: dict[tuple[int, bool], np.ndarray] = {}
        self._recent_frames = int(RECENT_SECONDS * frames_per_second)
        self._recency = np.exp((np.arange(self.history) - self.history + 1) / (RECENCY_SECONDS * frames_per_second))
        self._prior = np.exp(-0.5 * (np.log2(self.bpms / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
        index = np.arange(len(self.bpms))
        drift = np.exp(-0.5 * ((index[:, None] - index[None, :]) / DRIFT_PER_UPDATE) ** 2)
        drift /= drift.sum(axis=0, keepdims=True)
        self._transition = (1.0 - JUMP_PROBABILITY) * drift + JUMP_PROBABILITY / len(index)
        self._posterior = self._prior / self._prior.sum()
        self._octave = np.log(2.0) / np.log(BPM_STEP)  # states per octave
        self._evidence = np.zeros(len(self.bpms))  # salience averaged over LEVEL_SECONDS
        self._evidence_rate = 1.0 - np.exp(-1.0 / (LEVEL_SECONDS * updates_per_second))
        self._follow_hold = round(FOLLOW_HOLD_SECONDS * updates_per_second)  # in updates
        self._hold = 0  # updates left that keep a followed tempo (see follow)
        self.bpm = 0.0
        self.strength = 0.0  # comb salience at the chosen tempo: 1 = perfectly periodic onsets

    def _autocorrelation(self, onset_strength: np.ndarray, faded: bool = True) -> np.ndarray | None:
        """Normalised, smoothed autocorrelation of the compressed onset strength (older onsets
        faded out unless faded is False); None if flat."""
        x = np.sqrt(onset_strength)  # compressed, so soft subdivisions count next to loud beats
        x -= x.mean()
        if faded:
            x *= self._recency[-len(x):]
        spectrum = np.fft.rfft(x, self._fft_size)
        acf = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, self._fft_size)[:self._lags]
        if acf[0] <= 0.0:
            return None
        return np.convolve(acf * self._unbiasing(len(x), faded) / acf[0], self._smoothing, mode="same")

    def _unbiasing(self, count: int, faded: bool) -> np.ndarray:
        """1 / the autocorrelation of the weights of `count` frames per lag, normalised at lag 0.

        The weights are the window's length and UNBIAS_FADE of the fade (as an exponent). Without
        the fade's share, long lags (slow tempi and their harmonics) fade out and songs at 70 BPM
        are tracked at 140; with all of it, the slower level wins too often (drum and bass at 87).
        """
        key = (count, faded)
        if key not in self._unbias:
            weights = self._recency[-count:] ** UNBIAS_FADE if faded else np.ones(count)
            spectrum = np.fft.rfft(weights, self._fft_size)
            overlap = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, self._fft_size)[:self._lags]
            self._unbias[key] = overlap[0] / np.maximum(overlap, MIN_OVERLAP * overlap[0])
        return self._unbias[key]

    def update(self, onset_strength: np.ndarray, low: np.ndarray) -> float:
        """Feed the latest `history` frames of the onset strength and of its low band (oldest
        first); return the tempo (BPM)."""
        acf = self._autocorrelation(onset_strength)
        if acf is None:
            self.strength = 0.0
            return self.bpm
        subdivision = np.maximum(np.maximum(self._halves @ acf, self._thirds @ acf), 0.0)
        periodicity = self._comb @ acf
        salience = np.maximum(periodicity + SUBDIVISION_WEIGHT * subdivision, 1e-3) * self._prior
        low_acf = self._autocorrelation(low)
        if low_acf is not None:  # the beat is where the kick and bass repeat, not a subdivision
            low_periodicity = np.maximum(self._comb @ low_acf, 0.0)
            if low_periodicity.max() > 0.0:
                salience *= 1.0 - LOW_MIX + LOW_MIX * low_periodicity / low_periodicity.max()
        salience /= salience.max()
        posterior = (self._transition @ self._posterior) * salience
        self._posterior = posterior / posterior.sum()
        self._evidence += self._evidence_rate * (salience - self._evidence)
        best = int(np.argmax(self._posterior))
        level = self._metrical_level(best)
        state = int(round(best + level * self._octave))
        bpm = float(self.bpms[best] * BPM_STEP ** self._peak_offset(self._posterior, best) * 2.0 ** level)
        if self._hold > 0:
            self._hold -= 1
            held = self._state(self.bpm)
        else:
            held = self._held_state(bpm, state, salience)
        if held is not None:
            bpm, state = self.bpm, held
        self.bpm = bpm
        comb = self._combs[self._fitting_harmonics(state, len(onset_strength)), state]
        recent = self._autocorrelation(onset_strength[-self._recent_frames:], faded=False)
        recent_periodicity = 0.0 if recent is None else float(comb @ recent)
        # the lower of the two: a pulse that stopped a moment ago no longer counts
        self.strength = float(np.clip(min(float(comb @ acf), recent_periodicity), 0.0, 1.0))
        return self.bpm

    def follow(self, bpm: float) -> None:
        """Publish `bpm`, a tempo the music has abruptly changed to (the beat tracker sees it in
        the beats' onsets), and keep it for FOLLOW_HOLD_SECONDS; the HMM restarts there."""
        posterior = np.zeros(len(self.bpms))
        posterior[self._state(bpm)] = 1.0
        self._posterior = self._transition @ posterior
        self._hold = self._follow_hold
        self.bpm = bpm

    def _state(self, bpm: float) -> int:
        """The tempo state nearest `bpm`."""
        return int(np.argmin(np.abs(self.bpms - bpm)))

    def _fitting_harmonics(self, state: int, count: int) -> int:
        """How many beat periods of `state` fit in `count` frames of onsets (the overlap at least
        MIN_OVERLAP), at most HARMONICS: the strength's comb. All of them once the history is long
        enough; in a song's first seconds the longer lags hold no evidence yet and would dilute
        the strength, so the first beat would wait for four beat periods of music."""
        period = 60.0 * self.frames_per_second / self.bpms[state]
        return min(HARMONICS, int((1.0 - MIN_OVERLAP) * count / period))

    def _held_state(self, bpm: float, state: int, salience: np.ndarray) -> int | None:
        """The state of the published tempo if it should stay although the HMM chose `bpm` at
        `state`, else None.

        A fill or a syncopated bar can make a tempo at 4:3 or 3:2 of the beat briefly the most
        salient, and the HMM jumps to it. While the published tempo is still at least TEMPO_HOLD
        as salient, it stays; when the music really changes tempo its salience falls away within
        a second or two and the new tempo is taken up.
        """
        if self.bpm <= 0.0 or same_tempo(bpm, self.bpm):
            return None
        held = self._state(self.bpm)
        if self._peak(salience, held) >= TEMPO_HOLD * self._peak(salience, state):
            return held
        return None

    @staticmethod
    def _peak(values: np.ndarray, state: int) -> float:
        """Largest value within 2 states of `state`."""
        return float(values[max(state - 2, 0):state + 3].max())

    def _metrical_level(self, best: int) -> int:
        """Octaves (-1, 0 or 1) between the published tempo and the HMM's best state `best`.

        The HMM follows the strongest periodicity, which moves between the beat and its half or
        double as the arrangement changes (a verse with eighth-note hats, a sparse bridge). The
        level is a property of the song, so when the HMM moves by an octave the published tempo
        stays where it was, until the HMM's new level has been clearly more salient over
        LEVEL_SECONDS (then it follows: a new song, a real change of feel).
        """
        if self.bpm <= 0.0:
            return 0
        level = int(np.clip(np.round(np.log2(self.bpm / self.bpms[best])), -1, 1))
        held = int(round(best + level * self._octave))
        if level == 0 or not 0 <= held < len(self.bpms):
            return 0
        if self._support(best) > LEVEL_MARGIN * self._support(held):
            return 0
        return level

    def _support(self, state: int) -> float:
        """Salience around `state` averaged over LEVEL_SECONDS."""
        return self._peak(self._evidence, state)

    @staticmethod
    def _peak_offset(values: np.ndarray, best: int) -> float:
        """Parabolic interpolation of the peak position around index best, in states."""
        if best == 0 or best == len(values) - 1:
            return 0.0
        left, mid, right = np.log(values[best - 1:best + 2] + 1e-300)
        curvature = left - 2.0 * mid + right
        return 0.0 if curvature >= 0.0 else float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
