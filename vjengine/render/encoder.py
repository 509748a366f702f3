"""VideoEncoder: raw RGB frames piped to ffmpeg (h264 + the source audio as aac), all or nothing."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from vjengine.errors import InputError


class EncoderError(InputError):
    """The MP4 could not be written; str() names the output and the reason."""


def check_output(output: str | os.PathLike, *inputs: str | os.PathLike) -> Path:
    """Refuse an output that is not .mp4, is a folder, device or pipe, or is one of the inputs.

    Called before anything is written, so a refused output leaves every file as it was; a hard
    link or a symlink to an input counts as that input.
    """
    output = Path(output)
    if output.suffix.lower() != ".mp4":
        raise EncoderError(f"{output}: expected an .mp4 output (the video is H.264 and AAC in MP4)")
    try:
        mode = os.stat(output).st_mode
    except FileNotFoundError:
        return output
    except OSError as exc:
        raise EncoderError(f"{output}: cannot use as output ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise EncoderError(f"{output}: not a regular file; refusing to replace it")
    for source in inputs:
        if source is not None and os.path.exists(source) and os.path.samefile(output, source):
            raise EncoderError(f"{output}: is the input {source}; refusing to overwrite it")
    return output


def remove_stale_partials(output: Path) -> None:
    """Delete `.OUT.PID.*.partial.mp4` files left by encoders whose process no longer runs."""
    folder = output.parent if str(output.parent) else Path(".")
    pattern = re.compile(rf"\.{re.escape(output.stem)}\.(\d+)\.[^./]+\.partial\.mp4")
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match and not process_alive(int(match.group(1))):
            path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # Ctrl-C; `kill`, which `vjengine render` turns into SystemExit


@contextmanager
def stops_held():
    """Hold STOP_SIGNALS until the block ends, then deliver them to their handlers.

    A stop raised inside `subprocess.Popen` after the child has started, or between making a file
    and keeping its name, loses the process or the file: nothing is left to clean up at exit.
    Only the main thread runs signal handlers, so elsewhere nothing needs holding.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    handlers = {sig: handler for sig in STOP_SIGNALS  # None: a handler not set from Python
                if (handler := signal.getsignal(sig)) is not None}
    for sig in handlers:
        signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        for sig in held:
            signal.raise_signal(sig)


class VideoEncoder:
    """Writes OUT.mp4 via a temporary file in the same folder, renamed only when ffmpeg succeeds.

    The temporary name carries the process id, so that the next encoder into the same folder
    deletes what a killed one left behind; an exit before finish() (an error, SIGTERM turned into
    SystemExit) deletes it too. A stop while the file is made and ffmpeg starts waits until the
    encoder holds both (else the exit would leave ffmpeg running, which writes the file again).
    """

    def __init__(self, output: str | Path, size: tuple[int, int], fps: float,
                 audio: str | Path | None = None, crf: int = 18, preset: str = "veryfast",
                 threads: int = 0, nice: int = 0, faststart: bool = True):
        self.output = check_output(output, audio)
        width, height = size
        if width % 2 or height % 2:
            raise InputError(f"--size {width}x{height}: h264 needs even width and height")
        if shutil.which("ffmpeg") is None:
            raise EncoderError(f"{self.output}: ffmpeg is not installed (apt install ffmpeg)")
        folder = self.output.parent if str(self.output.parent) else Path(".")
        if not folder.is_dir():
            raise EncoderError(f"{self.output}: folder {folder} does not exist")
        remove_stale_partials(self.output)
        self._proc: subprocess.Popen | None = None
        self._tmp: Path | None = None
        atexit.register(self.abort)
        cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error",
               "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps}",
               "-i", "-"]
        if audio is not None:
            cmd += ["-i", str(audio), "-map", "0:v:0", "-map", "1:a:0", "-c:a", "aac", "-b:a", "192k",
                    "-shortest"]
        cmd += ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-threads", str(threads), "-pix_fmt", "yuv420p",
                *(["-movflags", "+faststart"] if faststart else []), "-f", "mp4"]
        with stops_held():
            try:
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.output.stem}.{os.getpid()}.",
                                           suffix=".partial.mp4")
            except OSError as exc:
                atexit.unregister(self.abort)
                raise EncoderError(f"{self.output}: cannot write in {folder} ({exc.strerror})") from None
            self._tmp = Path(tmp)
            os.fchmod(fd, 0o644)  # mkstemp makes files private; a rendered video is meant to be shared
            os.close(fd)
            self._log = tempfile.TemporaryFile()
            self._proc = subprocess.Popen([*cmd, str(self._tmp)], stdin=subprocess.PIPE, stderr=self._log,
                                          preexec_fn=(lambda: os.nice(nice)) if nice else None)
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
        atexit.unregister(self.abort)
        self._log.close()
        return self.output

    def abort(self) -> None:
        """Stop ffmpeg and delete the partial file; nothing is left behind."""
        atexit.unregister(self.abort)
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> "VideoEncoder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()
