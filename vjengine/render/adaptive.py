"""AdaptiveScale: sets the CPPN's internal resolution from the CPPN's own share of the frame budget."""

from __future__ import annotations

from collections import deque

LADDER = (1.0, 0.75, 0.5, 0.375, 0.25, 0.1875, 0.125, 0.09375, 0.0625)
MIN_SCALE = 0.125  # the default floor: a 1280x720 output keeps the CPPN at 160x90 or more
CPPN_STAGES = ("cppn", "upload")  # the stages whose cost follows the CPPN's resolution
CPPN_SHARE = 0.5  # the part of the budget the CPPN may always take, even when output-bound


class AdaptiveScale:
    """Watches each frame's stage times; changes the scale only when the CPPN is what is slow.

    Over a window of frames (90th percentiles): when the frame without the CPPN stages already
    misses 95% of the budget, the show is output-bound: `output_bound` is set, `slow_stage`
    names the slowest other stage, and the scale steps down only while the CPPN alone takes
    more than CPPN_SHARE of the budget. Otherwise a frame over 95% of the budget steps the scale
    down. It never goes below `floor`. One step up is taken after `up_seconds` in which the
    frame, with the CPPN's time grown by the pixel ratio, would stay under 80% of the budget
    (and not within `hold_seconds` of that scale failing).
    """

    def __init__(self, fps: float, start: float, enabled: bool = True, floor: float = MIN_SCALE,
                 window: int = 30, up_seconds: float = 3.0, hold_seconds: float = 10.0):
        self.budget = 1.0 / fps
        self.enabled = enabled
        self.index = min(range(len(LADDER)), key=lambda i: abs(LADDER[i] - start))
        self.start_scale = start
        floor = min(floor, LADDER[self.index])  # a start below the floor is a floor asked for
        self.lowest = max(i for i, scale in enumerate(LADDER) if scale >= floor - 1e-9)
        self._frames: deque[tuple[float, float, dict[str, float]]] = deque(maxlen=window)
        self._calm_since: float | None = None
        self._failed: dict[int, float] = {}
        self.up_seconds, self.hold_seconds = up_seconds, hold_seconds
        self.changes = 0
        self.output_bound = False
        self.slow_stage: tuple[str, float] | None = None  # (stage, p90 seconds) while output-bound

    @property
    def scale(self) -> float:
        return LADDER[self.index] if self.enabled else self.start_scale

    def update(self, stages: dict[str, float], work: float, now: float) -> bool:
        """Record one frame (its stages' seconds, its whole work time) at time now; True if the
        scale changed."""
        if not self.enabled:
            return False
        cppn = sum(stages.get(name, 0.0) for name in CPPN_STAGES)
        self._frames.append((work, cppn, dict(stages)))
        if len(self._frames) < self._frames.maxlen:
            return False
        work_p90, cppn_p90 = p90([f[0] for f in self._frames]), p90([f[1] for f in self._frames])
        rest_p90 = p90([f[0] - f[1] for f in self._frames])
        self.output_bound = rest_p90 > 0.95 * self.budget
        if self.output_bound:
            others = {name for name in stages if name not in CPPN_STAGES}
            self.slow_stage = max(((name, p90([f[2].get(name, 0.0) for f in self._frames])) for name in others),
                                  key=lambda item: item[1], default=None)
            self._calm_since = None
            if cppn_p90 > CPPN_SHARE * self.budget and self.index < self.lowest:
                return self._step(+1)
            return False
        self.slow_stage = None
        if work_p90 > 0.95 * self.budget and self.index < self.lowest:
            self._failed[self.index] = now
            return self._step(+1)
        grown = (LADDER[self.index - 1] / LADDER[self.index]) ** 2 if self.index > 0 else 0.0
        if self.index > 0 and rest_p90 + cppn_p90 * grown < 0.8 * self.budget:
            self._calm_since = self._calm_since if self._calm_since is not None else now
            failed_at = self._failed.get(self.index - 1, -float("inf"))
            if now - self._calm_since >= self.up_seconds and now - failed_at >= self.hold_seconds:
                return self._step(-1)
        else:
            self._calm_since = None
        return False

    def _step(self, direction: int) -> bool:
        self.index += direction
        self._frames.clear()
        self._calm_since = None
        self.changes += 1
        return True


def p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]
