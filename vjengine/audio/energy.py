"""The music's energy: its loudness now against the loud parts of the song, 0..1.

Loudness (mean square with a fast attack, in dB) goes through a peak hold that bridges the gaps
between hits (a sparse kick pattern does not pump) and then falls at a fixed rate. It is compared
with a reference that rises to the loudest recent passage within a few seconds and falls slowly
(a fraction of a dB a second): the groove reads ~1, a breakdown 20 dB quieter reads 0 within a
few seconds, and a whole quiet song comes back up to 1 within a minute or two instead of reading
as one long breakdown. Below an absolute floor (silence, a lost input) the energy is 0, and after
a few seconds of it the next song starts afresh.
"""

from __future__ import annotations

import math

ATTACK_SECONDS = 0.05  # time constant of the loudness rising
HOLD_SECONDS = 0.8  # the loudness holds its peak this long (longer than the gap between beats)
DECAY_DB_PER_SECOND = 10.0  # and then falls this fast
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
        self._attack = 1.0 - math.exp(-hop_seconds / ATTACK_SECONDS)
        self._rise = 1.0 - math.exp(-hop_seconds / RISE_SECONDS)
        self._mean_square = 0.0
        self._loudness_db = -math.inf
        self._held = 0.0
        self._reference_db = -math.inf
        self._silent_seconds = 0.0
        self.energy = 0.0

    def _loudness(self, mean_square: float) -> float:
        """The held loudness in dB after this hop."""
        if mean_square > self._mean_square:
            self._mean_square += self._attack * (mean_square - self._mean_square)
        else:
            self._mean_square = mean_square
        now_db = 10.0 * math.log10(self._mean_square + 1e-12)
        if now_db >= self._loudness_db:
            self._loudness_db, self._held = now_db, 0.0
        else:
            self._held += self._hop
            if self._held > HOLD_SECONDS:
                self._loudness_db = max(now_db, self._loudness_db - DECAY_DB_PER_SECOND * self._hop)
        return self._loudness_db

    def update(self, mean_square: float) -> float:
        """Add one hop (its mean square, full scale = 1) and return the energy."""
        self._silent_seconds = self._silent_seconds + self._hop if mean_square < FLOOR_POWER else 0.0
        if self._silent_seconds >= FORGET_AFTER_SECONDS:
            self._reference_db, self._loudness_db, self._mean_square = -math.inf, -math.inf, 0.0
        loudness_db = self._loudness(mean_square)
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
