"""VideoEncoder: raw RGB frames piped to ffmpeg (h264 + the source audio as aac), all or nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from vjengine.errors import InputError


class EncoderError(InputError):
    """The MP4 could not be written; str() names the output and the reason."""


class VideoEncoder:
    """Writes OUT.mp4 via a temporary file in the same folder, renamed only when ffmpeg succeeds."""

    def __init__(self, output: str | Path, size: tuple[int, int], fps: float,
                 audio: str | Path | None = None, crf: int = 18, preset: str = "veryfast"):
        self.output = Path(output)
        width, height = size
        if width % 2 or height % 2:
            raise InputError(f"--size {width}x{height}: h264 needs even width and height")
        if shutil.which("ffmpeg") is None:
            raise EncoderError(f"{self.output}: ffmpeg is not installed (apt install ffmpeg)")
        folder = self.output.parent if str(self.output.parent) else Path(".")
        if not folder.is_dir():
            raise EncoderError(f"{self.output}: folder {folder} does not exist")
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.output.stem}.", suffix=".partial.mp4")
        except OSError as exc:
            raise EncoderError(f"{self.output}: cannot write in {folder} ({exc.strerror})") from None
        os.fchmod(fd, 0o644)  # mkstemp makes files private; a rendered video is meant to be shared
        os.close(fd)
        self._tmp = Path(tmp)
        self._log = tempfile.TemporaryFile()
        cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps}",
               "-i", "-"]
        if audio is not None:
            cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "192k",
                    "-shortest"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", "-f", "mp4", str(self._tmp)]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._log)
        self.frames = 0

    def _failure(self) -> EncoderError:
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        reason = lines[-1] if lines else f"ffmpeg exit {self._proc.returncode}"
        return EncoderError(f"{self.output}: encoding failed ({reason})")

    def write(self, rgb: np.ndarray) -> None:
        """Append one uint8 [height, width, 3] frame (top row first)."""
        try:
            self._proc.stdin.write(memoryview(np.ascontiguousarray(rgb)).cast("B"))
        except (BrokenPipeError, OSError):
            self._proc.wait()
            self.abort()
            raise self._failure() from None
        self.frames += 1

    def finish(self) -> Path:
        """Close the stream, wait for ffmpeg and move the file into place; raises on failure."""
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        if self._proc.wait() != 0:
            self.abort()
            raise self._failure()
        try:
            os.replace(self._tmp, self.output)
        except OSError as exc:
            self.abort()
            raise EncoderError(f"{self.output}: cannot move the finished file into place ({exc})") from None
        self._log.close()
        return self.output

    def abort(self) -> None:
        """Stop ffmpeg and delete the partial file; nothing is left behind."""
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoEncoder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
