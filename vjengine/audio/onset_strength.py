"""Onset strength for beat tracking: level-normalised log spectral flux in log-spaced bands, with
the maximum filter of SuperFlux (Böck & Widmer, "Maximum filter vibrato suppression for onset
detection", DAFx 2013)."""

from __future__ import annotations

import math

import numpy as np

BANDS_PER_OCTAVE = 12  # semitone bands, so a change of note is a rise in some band
LOWEST_HZ, HIGHEST_HZ = 30.0, 16000.0
COMPRESSION = 100.0  # log1p(COMPRESSION * magnitude / running level): ~log scale above 1% of the level
LEVEL_SECONDS = 10.0  # time constant of the running level the spectrum is divided by
LEVEL_FLOOR = 1e-9  # below this mean band magnitude the input counts as digital silence
MEAN_SECONDS = 0.5  # running mean subtracted from the flux (an adaptive threshold)
LOW_BAND_HZ = 200.0  # bands centred below this carry the kick and the bass


def log_filterbank(samplerate: int, window_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Triangular filters, BANDS_PER_OCTAVE per octave, on the rfft bins (each row sums to 1),
    and their centre frequencies.

    Centre frequencies that round to the same bin are merged, so the low bands stay one bin apart.
    """
    bin_hz = samplerate / window_size
    count = int(math.log2(HIGHEST_HZ / LOWEST_HZ) * BANDS_PER_OCTAVE) + 1
    centres = LOWEST_HZ * 2.0 ** (np.arange(count) / BANDS_PER_OCTAVE)
    bins = np.unique(np.round(centres / bin_hz).astype(int))
    bins = bins[(bins > 0) & (bins <= window_size // 2)]
    matrix = np.zeros((len(bins) - 2, window_size // 2 + 1), dtype=np.float32)
    for row, (lo, mid, hi) in enumerate(zip(bins[:-2], bins[1:-1], bins[2:])):
        matrix[row, lo:mid + 1] = np.linspace(0.0, 1.0, mid - lo + 1)
        matrix[row, mid:hi + 1] = np.linspace(1.0, 0.0, hi - mid + 1)
        matrix[row] /= matrix[row].sum()
    return matrix, bins[1:-1] * bin_hz


def _neighbourhood_max(values: np.ndarray) -> np.ndarray:
    """Each value replaced by the largest of itself and its two neighbours."""
    spread = values.copy()
    np.maximum(spread[1:], values[:-1], out=spread[1:])
    np.maximum(spread[:-1], values[1:], out=spread[:-1])
    return spread


class _AdaptiveThreshold:
    """Subtracts a running mean from a flux and rectifies it."""

    def __init__(self, rate: float):
        self._rate = rate
        self._mean = 0.0

    def __call__(self, flux: float) -> float:
        self._mean += self._rate * (flux - self._mean)
        return max(flux - self._mean, 0.0)


class OnsetStrength:
    """Per-hop onset strength: half-wave rectified rise of log band magnitudes, summed over bands.

    Each band's rise is taken over the largest of its own and its two neighbours' previous
    magnitudes (SuperFlux's maximum filter), so vibrato and glides, which move energy between
    neighbouring bands, are not mistaken for onsets.

    `low` is the same strength of the bands below LOW_BAND_HZ alone (kick and bass), set by each
    call, which tells where the beat lies among its subdivisions. `attack` is the strength with
    each rise taken over two hops, from a window that does not overlap the current one: an attack
    that builds over more than one hop (a bowed or sung note, a soft piano key) counts in full
    instead of in slices, and its peak is a hop wider. It takes the plain bands two hops back, not
    their maximum filter, which measured better for the phase on real music. The beat's phase is
    scored on it; the tempo is estimated on the one-hop strength (on the attack, tempo accuracy on
    real music fell).

    The magnitudes are divided by their slowly tracked level before log compression, so the result
    does not depend on the input gain; a running mean is subtracted (and the result rectified) so a
    steady noise floor adds nothing. Called by the analysis thread, once per hop.
    """

    def __init__(self, samplerate: int, window_size: int, hop_size: int):
        self._filterbank, centres = log_filterbank(samplerate, window_size)
        self._low_bands = int(np.count_nonzero(centres < LOW_BAND_HZ))
        hop_seconds = hop_size / samplerate
        self._level_rate = 1.0 - math.exp(-hop_seconds / LEVEL_SECONDS)
        self._level = 0.0
        self._level_weight = 0.0  # bias correction while the level warms up
        mean_rate = 1.0 - math.exp(-hop_seconds / MEAN_SECONDS)
        self._threshold, self._low_threshold = _AdaptiveThreshold(mean_rate), _AdaptiveThreshold(mean_rate)
        self._attack_threshold = _AdaptiveThreshold(mean_rate)
        self._previous: np.ndarray | None = None  # the previous hop's compressed bands
        self._before: np.ndarray | None = None  # the compressed bands of the hop before that
        self.low = 0.0
        self.attack = 0.0

    def __call__(self, magnitudes: np.ndarray) -> float:
        """Onset strength (>= 0) of the frame whose magnitude spectrum is given."""
        bands = self._filterbank @ magnitudes
        self._level += self._level_rate * (float(bands.mean()) - self._level)
        self._level_weight += self._level_rate * (1.0 - self._level_weight)
        level = max(self._level / self._level_weight, LEVEL_FLOOR)
        compressed = np.log1p(bands * (COMPRESSION / level))
        before, previous = self._before, self._previous
        self._before, self._previous = previous, compressed
        if previous is None:
            return 0.0
        rise = np.maximum(compressed - _neighbourhood_max(previous), 0.0)
        self.low = self._low_threshold(float(rise[:self._low_bands].sum()))
        if before is not None:
            self.attack = self._attack_threshold(float(np.maximum(compressed - before, 0.0).sum()))
        return self._threshold(float(rise.sum()))
