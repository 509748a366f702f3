"""VideoSink: one video output fed from the render loop through a sender thread that never stalls it."""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import time
from collections import deque

import numpy as np

log = logging.getLogger(__name__)

PENDING_FRAMES = 2  # frames waiting for the sender; a newer frame pushes out the oldest
CLOSE_TIMEOUT = 5.0  # seconds to wait for a sender thread at shutdown


class VideoSink:
    """Frames go to a sender thread through a short latest-wins buffer.

    The render thread's `send` only appends a reference and returns. When the sender is still busy
    (a slow receiver, a busy encoder), the oldest waiting frame is dropped and counted, so what goes
    out is always the newest picture. Subclasses open, write and close their device on the sender
    thread; a device that cannot be opened turns the sink off with one log line and the show goes on.
    """

    kind = "sink"
    module = ""  # the library that talks to the device, by import name
    package = ""  # ... and by PyPI name
    extra = ""  # vjengine's extra that installs it
    platforms: dict[str, str] = {}  # sys.platform -> its name, where the output exists; empty: all

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this kind of output cannot run here (wrong platform, library missing), or None."""
        if cls.platforms and sys.platform not in cls.platforms:
            return f"{cls.kind} output needs {' or '.join(cls.platforms.values())}"
        if importlib.util.find_spec(cls.module) is None:
            return (f"{cls.kind} output needs the {cls.package} package "
                    f"(pip install '{cls.package}' or 'vjengine[{cls.extra}]')")
        return None

    def __init__(self, name: str, fps: float):
        self.name = name
        self.fps = fps
        self.sent = 0
        self.dropped = 0  # frames pushed out by newer ones before the sender took them
        self.failed = 0  # frames the device refused
        self.error: str | None = None  # why the sink is off
        self.write_seconds = 0.0  # time spent writing to the device, for the average cost
        self.lag_seconds = 0.0  # from each sent frame's hand-over to the end of its write
        self._pending: deque[tuple[np.ndarray, float]] = deque(maxlen=PENDING_FRAMES)
        self._wake = threading.Condition()
        self._closing = False
        self._size: tuple[int, int] | None = None
        self._thread = threading.Thread(target=self._run, name=f"output-{self.kind}", daemon=True)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name!r}" if self.name else self.kind

    def start(self) -> None:
        self._thread.start()

    def send(self, rgb: np.ndarray) -> None:
        """Hand over a frame, uint8 [h, w, 3] top row first (render thread).

        The frame must not be written to afterwards: the sender reads it later.
        """
        if self.error is not None:
            return
        with self._wake:
            if len(self._pending) == PENDING_FRAMES:
                self.dropped += 1
            self._pending.append((rgb, time.perf_counter()))
            self._wake.notify()

    def close(self) -> None:
        """Stop the sender thread (frames still waiting are not sent) and close the device."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(CLOSE_TIMEOUT)
            if self._thread.is_alive():
                log.warning("%s: the sender did not stop within %g s", self.label, CLOSE_TIMEOUT)
        log.info("%s: %d frames sent, %d dropped, %d failed", self.label, self.sent, self.dropped,
                 self.failed)

    def status(self) -> dict[str, object]:
        """Counters for the HUD and telemetry."""
        return {"state": "off: " + self.error if self.error else ("on" if self._size else "waiting"),
                "sent": self.sent, "dropped": self.dropped, "failed": self.failed,
                "write_ms": round(1000.0 * self.write_seconds / self.sent, 3) if self.sent else 0.0,
                "lag_ms": round(1000.0 * self.lag_seconds / self.sent, 3) if self.sent else 0.0}

    # -- the sender thread -------------------------------------------------------------------

    def _next(self) -> tuple[np.ndarray, float] | None:
        with self._wake:
            while not self._pending and not self._closing:
                self._wake.wait()
            return None if self._closing else self._pending.popleft()

    def _run(self) -> None:
        """Sender thread: open the device at the first frame's size, then write frames as they come."""
        try:
            while (item := self._next()) is not None:
                rgb, handed = item
                size = (rgb.shape[1], rgb.shape[0])
                if size != self._size and not self._reopen(size):
                    return
                start = time.perf_counter()
                try:
                    ok = self._write(rgb)
                except Exception as exc:  # the show goes on: count the failure, log the first
                    ok = False
                    if not self.failed:
                        log.error("%s: sending a frame failed: %s (further failures are counted)",
                                  self.label, exc)
                end = time.perf_counter()
                self.write_seconds += end - start
                if ok:
                    self.sent += 1
                    self.lag_seconds += end - handed
                else:
                    self.failed += 1
        finally:
            if self._size is not None:
                self._shut()

    def _reopen(self, size: tuple[int, int]) -> bool:
        """(Re)open the device for frames of this size; on failure the sink is off for the show."""
        if self._size is not None:
            self._shut()
        try:
            self._open(*size)
        except Exception as exc:  # a missing device or runtime: one clear line, the show goes on
            self.error = f"cannot open ({exc})"
            log.error("%s: cannot open, this output is off: %s", self.label, exc)
            return False
        self._size = size
        log.info("%s: sending %dx%d", self.label, *size)
        return True

    def _shut(self) -> None:
        try:
            self._close()
        except Exception as exc:  # closing is best effort; the device may already be gone
            log.warning("%s: closing failed: %s", self.label, exc)
        self._size = None

    def _open(self, width: int, height: int) -> None:
        """Open the device for frames of this size (sender thread)."""
        raise NotImplementedError

    def _write(self, rgb: np.ndarray) -> bool:
        """Send one frame (sender thread); False when the device refused it."""
        raise NotImplementedError

    def _close(self) -> None:
        """Close the device (sender thread)."""
        raise NotImplementedError
