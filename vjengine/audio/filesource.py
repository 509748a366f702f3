"""Decode an audio file with ffmpeg into mono float32 samples and the hop stream a live input gives."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vjengine.errors import InputError

DEFAULT_SAMPLERATE = 44100


class AudioFileError(InputError):
    """An audio file that cannot be decoded; str() is one line naming the file."""


def decode(path: str | Path, samplerate: int = DEFAULT_SAMPLERATE) -> np.ndarray:
    """All samples of the file, mixed to mono, resampled to samplerate, as float32 in [-1, 1]."""
    path = Path(path)
    if not path.is_file():
        raise AudioFileError(f"{path}: no such audio file")
    if shutil.which("ffmpeg") is None:
        raise AudioFileError(f"{path}: cannot decode, ffmpeg is not installed (apt install ffmpeg)")
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vn", "-ac", "1",
           "-ar", str(samplerate), "-f", "f32le", "-"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        reason = detail[-1] if detail else f"ffmpeg exit {proc.returncode}"
        raise AudioFileError(f"{path}: not a decodable audio file ({reason})")
    samples = np.frombuffer(proc.stdout, dtype=np.float32)
    if samples.size == 0:
        raise AudioFileError(f"{path}: decoded to no audio samples")
    return samples.copy()


def hops(samples: np.ndarray, hop_size: int) -> Iterator[np.ndarray]:
    """Exact hop_size blocks of samples; the last partial block is zero-padded."""
    for start in range(0, len(samples), hop_size):
        block = samples[start:start + hop_size]
        if len(block) < hop_size:
            block = np.concatenate([block, np.zeros(hop_size - len(block), dtype=np.float32)])
        yield np.ascontiguousarray(block, dtype=np.float32)


class LoopInput:
    """Plays decoded samples into a Ring in real time, looping: the live input when no device exists.

    Offers what the analysis thread needs from AudioInput (ring, channel, check, status, close).
    """

    channel = None
    status = "demo"

    def __init__(self, samples: np.ndarray, samplerate: int, block: int = 512):
        from vjengine.audio.ring import Ring  # local: only the live engine needs the ring

        self.samples = samples
        self.samplerate = samplerate
        self.block = block
        self.ring = Ring(2 * samplerate, 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play, daemon=True, name="demo-input")
        self._thread.start()

    def _play(self) -> None:
        position, start, sent = 0, time.perf_counter(), 0
        block = np.zeros((self.block, 1), dtype=np.float32)
        while not self._stop.is_set():
            due = int((time.perf_counter() - start) * self.samplerate)
            while sent + self.block <= due:
                stop = position + self.block
                if stop <= len(self.samples):
                    block[:, 0] = self.samples[position:stop]
                else:
                    block[:, 0] = np.concatenate([self.samples[position:], self.samples[:stop - len(self.samples)]])
                position = stop % len(self.samples)
                self.ring.write(block)
                sent += self.block
            self._stop.wait(self.block / self.samplerate / 2)

    def check(self) -> None:
        """Nothing to reconnect."""

    def close(self) -> None:
        self._stop.set()
