"""A preallocated single-producer, single-consumer ring of float32 audio frames with an overrun count."""

from __future__ import annotations

import numpy as np


class Ring:
    """Frames (samples x channels) written by the audio callback, read in exact hops by analysis.

    The writer never blocks, allocates or locks: it copies into the array and then advances
    `written`. The reader owns `read`; if the writer laps it, the reader skips ahead to the
    freshest audio and counts an overrun.
    """

    def __init__(self, capacity: int, channels: int):
        self.capacity = capacity
        self.channels = channels
        self._buffer = np.zeros((capacity, channels), dtype=np.float32)
        self.written = 0  # frames ever written (only the writer advances it)
        self.read = 0  # frames ever consumed (only the reader advances it)
        self.overruns = 0

    def write(self, block: np.ndarray) -> None:
        """Copy a [n, channels] block in (audio callback thread)."""
        n = block.shape[0]
        if n > self.capacity:
            block, n = block[-self.capacity:], self.capacity
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self._buffer[start:start + first] = block[:first]
        if first < n:
            self._buffer[:n - first] = block[first:]
        self.written += n

    def available(self) -> int:
        return self.written - self.read

    def read_into(self, out: np.ndarray) -> bool:
        """Fill out ([hop, channels]) with the next frames; False when not enough have arrived yet.

        Called by the analysis thread only.
        """
        n = out.shape[0]
        written = self.written
        if written - self.read > self.capacity - n:
            self.overruns += 1
            self.read = written - self.capacity // 2
        if written - self.read < n:
            return False
        start = self.read % self.capacity
        first = min(n, self.capacity - start)
        out[:first] = self._buffer[start:start + first]
        if first < n:
            out[first:] = self._buffer[:n - first]
        self.read += n
        return True
