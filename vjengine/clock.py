"""Injectable time: AudioClock for the live show, ManualClock for offline render, replay and tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary fixed origin."""


class AudioClock:
    """The analysed audio's stream time, extrapolated between hops: the time base of the live show.

    Beats, onsets, control events and frames are all stamped with it, so tap tempo and MIDI clock
    line up with what the analysis heard. `published` returns the stream time of the last hop
    analysed and the time.perf_counter() at which it was published, or None before the audio is
    open (the clock then stands at 0).
    """

    def __init__(self, published: Callable[[], tuple[float, float] | None]):
        self._published = published

    def now(self) -> float:
        published = self._published()
        if published is None:
            return 0.0
        stream_t, wall = published
        return stream_t + (time.perf_counter() - wall)


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
