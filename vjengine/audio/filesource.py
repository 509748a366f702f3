"""Decode an audio file with ffmpeg into mono float32 samples and the hop stream a live input gives."""

from __future__ import annotations

import shutil
import subprocess
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
