"""Injectable time: PerfClock for the live show, ManualClock for offline render and tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary fixed origin."""


class PerfClock:
    """Wall time from time.perf_counter(), starting at zero when created."""

    def __init__(self):
        self._origin = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._origin


class ManualClock:
    """Time that moves only when told to: frame i of an offline render is at i / fps exactly."""

    def __init__(self, start: float = 0.0):
        self._t = start

    def now(self) -> float:
        return self._t

    def set(self, t: float) -> None:
        self._t = t

    def advance(self, dt: float) -> None:
        self._t += dt
