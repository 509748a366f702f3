"""AdaptiveScale: steps the CPPN's internal resolution down or up to hold a target frame rate."""

from __future__ import annotations

from collections import deque

LADDER = (1.0, 0.75, 0.5, 0.375, 0.25, 0.1875, 0.125, 0.09375, 0.0625)


class AdaptiveScale:
    """Watches frame work times; steps down fast when over budget, up slowly when well under.

    Hysteresis: down when the recent 90th percentile exceeds 95% of the frame budget, up only
    after `up_seconds` with the 90th percentile below 65% of it (and never straight back up
    past a scale that just failed, until `hold_seconds` pass).
    """

    def __init__(self, fps: float, start: float, enabled: bool = True, window: int = 30,
                 up_seconds: float = 3.0, hold_seconds: float = 10.0):
        self.budget = 1.0 / fps
        self.enabled = enabled
        self.index = min(range(len(LADDER)), key=lambda i: abs(LADDER[i] - start))
        self.start_scale = start
        self._times: deque[float] = deque(maxlen=window)
        self._calm_since: float | None = None
        self._failed: dict[int, float] = {}
        self.up_seconds, self.hold_seconds = up_seconds, hold_seconds
        self.changes = 0

    @property
    def scale(self) -> float:
        return LADDER[self.index] if self.enabled else self.start_scale

    def update(self, work_seconds: float, now: float) -> bool:
        """Record one frame's work time at time now; True if the scale changed."""
        if not self.enabled:
            return False
        self._times.append(work_seconds)
        if len(self._times) < self._times.maxlen:
            return False
        p90 = sorted(self._times)[int(0.9 * (len(self._times) - 1))]
        if p90 > 0.95 * self.budget and self.index < len(LADDER) - 1:
            self._failed[self.index] = now
            return self._step(+1)
        if p90 < 0.65 * self.budget and self.index > 0:
            self._calm_since = self._calm_since if self._calm_since is not None else now
            failed_at = self._failed.get(self.index - 1, -float("inf"))
            if now - self._calm_since >= self.up_seconds and now - failed_at >= self.hold_seconds:
                return self._step(-1)
        else:
            self._calm_since = None
        return False

    def _step(self, direction: int) -> bool:
        self.index += direction
        self._times.clear()
        self._calm_since = None
        self.changes += 1
        return True
