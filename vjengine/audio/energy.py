"""The music's energy: its loudness now against the loud parts of the song, 0..1.

Short-term loudness (mean square over ~0.5 s, in dB) is compared with a reference that rises to
the loudest recent passage within a few seconds and falls slowly (a fraction of a dB a second), so
the groove reads ~1, a breakdown 20 dB quieter reads 0, and a whole quiet song comes back up to 1
within a minute or two instead of reading as one long breakdown. Below an absolute floor
(silence, a lost input) the energy is 0, and after a few seconds of it the next song starts afresh.
"""

from __future__ import annotations

import math

SHORT_SECONDS = 0.5  # time constant of the short-term loudness
RISE_SECONDS = 2.0  # time constant of the reference rising to a louder passage
FALL_DB_PER_SECOND = 0.2  # how fast the reference forgets a loud passage
RANGE_DB = 20.0  # this far below the reference the energy reaches 0
FLOOR_DB = -60.0  # dBFS: quieter than this is silence (energy 0)
FLOOR_POWER = 10.0 ** (FLOOR_DB / 10.0)
FORGET_AFTER_SECONDS = 5.0  # silence this long ends the song: the next one sets its own reference


class EnergyMeter:
    """Feed it every hop's mean square; `energy` is the value after the latest hop."""

    def __init__(self, hop_seconds: float):
        self._hop = hop_seconds
        self._short = 1.0 - math.exp(-hop_seconds / SHORT_SECONDS)
        self._rise = 1.0 - math.exp(-hop_seconds / RISE_SECONDS)
        self._mean_square = 0.0
        self._reference_db = -math.inf
        self._silent_seconds = 0.0
        self.energy = 0.0

    def update(self, mean_square: float) -> float:
        """Add one hop (its mean square, full scale = 1) and return the energy."""
        self._mean_square += self._short * (mean_square - self._mean_square)
        self._silent_seconds = self._silent_seconds + self._hop if mean_square < FLOOR_POWER else 0.0
        if self._silent_seconds >= FORGET_AFTER_SECONDS:
            self._reference_db, self._mean_square = -math.inf, 0.0
        loudness_db = 10.0 * math.log10(self._mean_square + 1e-12)
        if loudness_db < FLOOR_DB:
            self.energy = 0.0
            return self.energy
        if not math.isfinite(self._reference_db):
            self._reference_db = loudness_db
        elif loudness_db > self._reference_db:
            self._reference_db += self._rise * (loudness_db - self._reference_db)
        else:
            self._reference_db = max(loudness_db, self._reference_db - FALL_DB_PER_SECOND * self._hop)
        self.energy = min(max(1.0 + (loudness_db - self._reference_db) / RANGE_DB, 0.0), 1.0)
        return self.energy
