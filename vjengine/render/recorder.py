"""Recorder: the live output plus the input audio into an MP4, without ever stalling the render loop."""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from vjengine.render.encoder import EncoderError, VideoEncoder, stops_held

log = logging.getLogger(__name__)


STOP_SECONDS = 0.5  # how long finish() waits for the writer before stopping ffmpeg under it
RECORD_WIDTH = 640  # the default recording is the output scaled to at most this width
# x264 on one thread, at a lower priority than the show: on a small machine the encoder falls
# behind (and the recorder drops frames, counted) before the render thread loses its core.
PRESET, THREADS, NICE = "superfast", 1, 10


def record_size(output: tuple[int, int], chosen: tuple[int, int] | None = None) -> tuple[int, int]:
    """The recording's size: `chosen`, else the output's scaled to at most RECORD_WIDTH wide
    (even sides, as h264 needs); 1280x720 records at 640x360."""
    if chosen is not None:
        return chosen
    scale = min(1.0, RECORD_WIDTH / output[0])
    return max(2, round(output[0] * scale / 2) * 2), max(2, round(output[1] * scale / 2) * 2)


class AudioEncoder:
    """Mono 16-bit samples piped to ffmpeg as AAC (ADTS) while the show runs, so that stopping
    costs only a copy into the MP4, however long the show was."""

    def __init__(self, path: Path, samplerate: int, output: Path):
        self.output = output  # what errors name
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "s16le", "-ar", str(samplerate), "-ac", "1",
             "-i", "-", "-c:a", "aac", "-b:a", "192k", "-f", "adts", str(path)],
            stdin=subprocess.PIPE, stderr=self._log, preexec_fn=lambda: os.nice(NICE))

    def _failure(self) -> EncoderError:
        self._proc.wait()
        self._log.seek(0)
        lines = self._log.read().decode(errors="replace").strip().splitlines()
        return EncoderError(f"{self.output}: audio encoding failed "
                            f"({lines[-1] if lines else f'ffmpeg exit {self._proc.returncode}'})")

    def write(self, pcm: bytes) -> None:
        try:
            self._proc.stdin.write(pcm)
        except OSError:
            raise self._failure() from None

    def finish(self) -> None:
        try:
            self._proc.stdin.close()
        except OSError:
            pass
        if self._proc.wait() != 0:
            raise self._failure()

    def abort(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


class Recorder:
    """Frames go through a bounded queue to a writer thread (full queue: drop and count).

    Frames are placed on a fixed fps grid by wall time, so the video keeps time with the audio
    whatever the live frame rate; the audio arrives hop by hop from the analysis thread and is
    encoded as it comes.
    A writing failure (a full disk, ffmpeg gone) is logged once and ends the recording alone:
    frames and audio are then taken and dropped, so nothing waits and no memory piles up.
    """

    def __init__(self, output: str | Path, size: tuple[int, int], fps: float, samplerate: int,
                 queue_frames: int = 8):
        self.output = Path(output)
        self.fps = fps
        self.samplerate = samplerate
        folder = self.output.parent if str(self.output.parent) else Path(".")
        self._video_path = folder / f".{self.output.stem}.video.mp4"
        # A stop or a failure before both encoders run would leave their files behind.
        with stops_held(), ExitStack() as undo:
            try:
                fd, audio_path = tempfile.mkstemp(dir=folder, prefix=f".{self.output.stem}.", suffix=".aac")
            except OSError as exc:
                raise EncoderError(f"{self.output}: cannot write in {folder} ({exc.strerror})") from None
            os.close(fd)
            self._audio_path = Path(audio_path)
            undo.callback(self._audio_path.unlink, missing_ok=True)
            self._video = VideoEncoder(self._video_path, size, fps, crf=20, preset=PRESET, threads=THREADS,
                                       nice=NICE, faststart=False)  # muxed again at the end
            undo.callback(self._video.abort)
            self._sound = AudioEncoder(self._audio_path, samplerate, self.output)
            undo.pop_all()  # both run: finish() and abort() clean up from here
        self._frames: queue.Queue = queue.Queue(maxsize=queue_frames)
        self._audio: queue.SimpleQueue = queue.SimpleQueue()
        self.dropped = 0
        self.written = 0
        self.error: Exception | None = None
        self._start: float | None = None
        self._thread = threading.Thread(target=self._write, daemon=True, name="recorder")
        self._thread.start()

    def add_frame(self, picture: np.ndarray | Callable[[], np.ndarray], t: float) -> bool:
        """Queue a frame shown at perf time t (render thread); False if it had to be dropped.
        `picture` may be a function that reads it, called only when the queue has room; the
        array is kept, not copied: the caller must not change it afterwards."""
        if self._start is None:
            self._start = t
        if self._frames.full():  # only this thread adds, so room seen here stays
            self.dropped += 1
            return False
        self._frames.put_nowait((t - self._start, picture() if callable(picture) else picture))
        return True

    def add_audio(self, hop: np.ndarray) -> None:
        """Queue one hop of input audio (analysis thread)."""
        if self._start is not None and self.error is None:
            self._audio.put((np.clip(hop, -1.0, 1.0) * 32767).astype("<i2").tobytes())

    def _drain_audio(self) -> None:
        while True:
            try:
                hop = self._audio.get_nowait()
            except queue.Empty:
                return
            if self.error is None:
                self._sound.write(hop)

    def _write(self) -> None:
        slot, last = 0, None
        while True:
            item = self._frames.get()
            try:
                self._drain_audio()
                if item is not None and self.error is None:
                    t, rgb = item
                    while slot <= round(t * self.fps):
                        self._video.write(rgb if slot == round(t * self.fps) or last is None else last)
                        slot += 1
                        self.written += 1
                    last = rgb
            except (OSError, EncoderError) as exc:
                self._failed(exc)
            if item is None:
                return

    def _failed(self, exc: Exception) -> None:
        if self.error is None:
            self.error = exc if isinstance(exc, EncoderError) else EncoderError(
                f"{self.output}: writing failed ({getattr(exc, 'strerror', None) or exc})")
            log.error("recorder: %s; the show goes on without recording", self.error)

    def _stop_writer(self) -> None:
        """End the writer thread; one stuck writing to ffmpeg is unstuck by stopping ffmpeg."""
        try:
            self._frames.put(None, timeout=STOP_SECONDS)
        except queue.Full:
            self._video.abort()
            self._frames.put(None)
        self._thread.join(STOP_SECONDS)
        if self._thread.is_alive():
            self._video.abort()
            self._thread.join()

    def finish(self) -> Path:
        """Stop, mux video and audio into the output; temporary files are removed either way."""
        self._stop_writer()
        try:
            self._drain_audio()
            self._sound.finish()
        except (OSError, EncoderError) as exc:
            self._failed(exc)
        try:
            if self.error is not None:
                raise self.error
            self._video.finish()
            tmp = self.output.with_name(f".{self.output.stem}.mux.mp4")
            cmd = ["ffmpeg", "-nostdin", "-y", "-v", "error", "-i", str(self._video_path),
                   "-i", str(self._audio_path), "-map", "0:v:0", "-map", "1:a:0", "-c", "copy",
                   "-shortest", str(tmp)]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                tmp.unlink(missing_ok=True)
                lines = result.stderr.strip().splitlines()
                raise EncoderError(f"{self.output}: muxing failed ({lines[-1] if lines else 'ffmpeg'})")
            os.replace(tmp, self.output)
        finally:
            self._video.abort()
            self._sound.abort()
            self._video_path.unlink(missing_ok=True)
            self._audio_path.unlink(missing_ok=True)
        log.info("recorded %d frames (%d dropped) to %s", self.written, self.dropped, self.output)
        return self.output

    def abort(self) -> None:
        self._stop_writer()
        self._video.abort()
        self._sound.abort()
        self._video_path.unlink(missing_ok=True)
        self._audio_path.unlink(missing_ok=True)
