"""ControlEvent and the ControlBus that carries them from any thread to the render thread."""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ControlEvent:
    """One request to change the show: target names what (e.g. "param/zoom", "style/a")."""

    target: str
    value: Any = None
    source: str = "internal"
    t: float = 0.0


class ControlBus:
    """Many producers (OSC thread, analysis thread, keys), one consumer draining once per frame."""

    def __init__(self, capacity: int = 4096):
        self._queue: queue.SimpleQueue[ControlEvent] = queue.SimpleQueue()
        self._capacity = capacity
        self.dropped = 0

    def put(self, event: ControlEvent) -> bool:
        """Enqueue without blocking; when the consumer has fallen far behind, drop and count."""
        if self._queue.qsize() >= self._capacity:
            self.dropped += 1
            return False
        self._queue.put_nowait(event)
        return True

    def drain(self) -> list[ControlEvent]:
        """Everything queued so far, oldest first (render thread)."""
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events
