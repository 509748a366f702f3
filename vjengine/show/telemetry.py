"""Telemetry: frame-time statistics of the live show, and the JSON-lines log of its status."""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class FrameStats:
    """Rolling frame intervals, work times and stage times (render thread)."""

    def __init__(self, window: int = 600, stage_window: int = 30):
        self.intervals: deque[float] = deque(maxlen=window)
        self.work: deque[float] = deque(maxlen=window)
        self.stages: deque[dict[str, float]] = deque(maxlen=stage_window)
        self.frames = 0
        self.late = 0  # frames whose work overran the frame budget
        self._logged = 0  # frames whose intervals since_logged() has returned

    def add(self, interval: float, work: float, budget: float, stages: dict[str, float] | None = None) -> None:
        """One frame: its interval, work and budget (s), and the seconds of each of its stages."""
        self.frames += 1
        if interval > 0:
            self.intervals.append(interval)
        self.work.append(work)
        self.late += work > budget
        if stages is not None:
            self.stages.append(dict(stages))

    def stages_ms(self) -> dict[str, float]:
        """Each stage's mean time (ms) over the last `stage_window` frames."""
        if not self.stages:
            return {}
        return {name: round(1000.0 * sum(frame[name] for frame in self.stages) / len(self.stages), 2)
                for name in self.stages[-1]}

    def since(self, frames: int) -> list[float]:
        """Frame intervals (s) of the frames after the first `frames` (as many as the window holds)."""
        count = min(self.frames - frames, len(self.intervals))
        return list(self.intervals)[-count:] if count > 0 else []

    def since_logged(self) -> list[float]:
        """Intervals (ms) of the frames since the last call, for the telemetry log."""
        intervals, self._logged = self.since(self._logged), self.frames
        return [round(x * 1000.0, 2) for x in intervals]

    def fps(self) -> float:
        return len(self.intervals) / sum(self.intervals) if self.intervals else 0.0

    def percentile_ms(self, q: float) -> float:
        return float(np.percentile(self.intervals, q) * 1000.0) if self.intervals else 0.0


class TelemetryLog:
    """Appends one JSON object per line to a file at most every `period` seconds.

    A failing write (a full disk) is logged once and counted in `failed`; the show goes on.
    """

    def __init__(self, path: Path | None, period: float = 0.25):
        self._file = open(path, "a", buffering=1) if path else None  # noqa: SIM115 (kept open)
        self.path = path
        self.period = period
        self.failed = 0
        self._next = 0.0

    def due(self) -> bool:
        return self._file is not None and time.perf_counter() >= self._next

    def write(self, record: dict) -> None:
        if self._file is None:
            return
        self._next = time.perf_counter() + self.period
        try:
            self._file.write(json.dumps(record) + "\n")
        except OSError as exc:
            self._failed(exc)

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                self._failed(exc)

    def _failed(self, exc: OSError) -> None:
        self.failed += 1
        if self.failed == 1:
            log.error("telemetry %s: writing failed (%s); the show goes on, further failures counted",
                      self.path, exc.strerror or exc)
