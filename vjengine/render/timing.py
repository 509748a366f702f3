"""StageTimer: the wall time of each stage of one frame, from the control step to the sinks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STAGES = ("control", "cppn", "upload", "post", "present", "hud", "swap", "sinks")


class StageTimer:
    """Adds up each stage's seconds for the current frame (render thread).

    GL only queues work: with `sync` (e.g. `ctx.finish`) a GL stage waits for its work before it
    stops its clock, so the time lands on the stage that caused it rather than on the next wait.
    Without it the GL stages still count, only less exactly (the live show syncs, renders don't).
    """

    def __init__(self, sync: Callable[[], None] | None = None):
        self.sync = sync
        self.seconds = dict.fromkeys(STAGES, 0.0)

    def start_frame(self) -> None:
        for name in self.seconds:
            self.seconds[name] = 0.0

    @contextmanager
    def stage(self, name: str, gl: bool = False) -> Iterator[None]:
        """Time the block as (part of) stage `name`; `gl`: the block queues GL work."""
        start = time.perf_counter()
        try:
            yield
        finally:
            if gl and self.sync is not None:
                self.sync()
            self.seconds[name] += time.perf_counter() - start

    def cppn_seconds(self) -> float:
        """The stages whose cost follows the CPPN's resolution: evaluation and upload."""
        return self.seconds["cppn"] + self.seconds["upload"]
