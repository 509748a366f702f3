"""Frame sinks: where each finished frame goes (journal, snapshots, recorder, outputs, OSC, video).

The core hands every frame to each sink of its `Sinks` in turn, through `Sinks.send`: the one
place where a sink's time and failures can be observed. A sink that wants the picture calls
`frame.rgb()`; the first call reads it back from the GPU, later ones share that read-back.
In a live show (`keep_going`) a sink fails alone: a full disk or a lost output is logged once
per sink and counted, and the show and the other sinks go on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from vjengine.control.events import ControlEvent
from vjengine.control.oscout import FeatureOut
from vjengine.control.state import ControlFrame
from vjengine.control.tempo import TempoReading
from vjengine.render.encoder import EncoderError, VideoEncoder
from vjengine.render.outputs.options import Outputs
from vjengine.render.recorder import Recorder
from vjengine.render.timing import StageTimer
from vjengine.show.journal import FrameRecord, JournalWriter

log = logging.getLogger(__name__)


@dataclass
class Frame:
    """One finished frame, as the core made it."""

    index: int  # frames before this one
    t: float  # frame time on the show's clock (s)
    dt: float
    hops: int  # audio hops analysed for the features this frame used
    size: tuple[int, int]  # the CPPN's internal resolution
    events: list[ControlEvent]  # applied before the frame
    loads: list[tuple[str, str | None]]  # styles loaded (slug, content hash; None: failed)
    control: ControlFrame
    drawn: bool  # False while no style is loaded yet, or when drawing failed
    started: float  # time.perf_counter() when the frame began
    read_rgb: Callable[[], np.ndarray] = field(repr=False)
    _rgb: np.ndarray | None = field(default=None, repr=False)

    def rgb(self) -> np.ndarray:
        """The finished picture, uint8 [height, width, 3] top row first (read back once)."""
        if self._rgb is None:
            self._rgb = self.read_rgb()
        return self._rgb


class Reported(Exception):
    """A sink's failure that its component has logged already: counted, not logged again."""


class FrameSink:
    """Takes finished frames (render thread); `name` labels it in logs and status."""

    name = "sink"
    timed_stages = False  # True: add() times its own stages

    def start(self) -> None:
        """Called once before the first frame."""

    def add(self, frame: Frame) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Called once after the last frame."""


class Sinks:
    """The frame sinks of a show, fed in order; with keep_going, failures are counted per sink
    (`failures`, by name) and never stop the others, else they propagate (offline render)."""

    def __init__(self, sinks: Iterable[FrameSink] = (), keep_going: bool = False):
        self.sinks = list(sinks)
        self.keep_going = keep_going
        self.failures: Counter[str] = Counter()

    def append(self, sink: FrameSink) -> None:
        self.sinks.append(sink)

    def start(self) -> None:
        for sink in self.sinks:
            self._call(sink, sink.start)

    def send(self, frame: Frame, timer: StageTimer | None = None) -> None:
        """Hand the frame to each sink; `timer` counts their time as the "sinks" stage, except
        for sinks that time themselves (`timed_stages`)."""
        for sink in self.sinks:
            if timer is None or sink.timed_stages:
                self._call(sink, sink.add, frame)
            else:
                with timer.stage("sinks"):
                    self._call(sink, sink.add, frame)

    def close(self) -> None:
        for sink in self.sinks:
            self._call(sink, sink.close, closing=True)

    def _call(self, sink: FrameSink, method: Callable, *args: object, closing: bool = False) -> None:
        """Call a sink's method; failing, count it and log the sink's first failure and its close's."""
        if not self.keep_going:
            method(*args)
            return
        try:
            method(*args)
        except Reported:
            self.failures[sink.name] += 1
        except Exception as exc:  # noqa: BLE001 (any sink failure: the show goes on)
            self.failures[sink.name] += 1
            if self.failures[sink.name] == 1 or closing:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.error("%s failed (%s); the show goes on, further failures counted", sink.name, reason)


class SnapshotSink(FrameSink):
    """Every `every`-th frame as DIR/frame-NNNNNN.png (NNNNNN: the frame's index)."""

    name = "snapshots"

    def __init__(self, folder: Path, every: int):
        self.folder = Path(folder)
        self.every = every

    def add(self, frame: Frame) -> None:
        if frame.index % self.every == 0:
            Image.fromarray(frame.rgb()).save(self.folder / f"frame-{frame.index:06d}.png")


class ScreenshotSink(FrameSink):
    """The last picture as PNG when the show stops, once any frame has been drawn."""

    name = "screenshot"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.last: Frame | None = None

    def add(self, frame: Frame) -> None:
        if frame.drawn or self.last is not None:
            self.last = frame

    def close(self) -> None:
        if self.last is not None:
            Image.fromarray(self.last.rgb()).save(self.path)


class JournalSink(FrameSink):
    """Each frame's record into a show journal; with Link, the session reading the frame saw."""

    name = "journal"

    def __init__(self, writer: JournalWriter, session: Callable[[], TempoReading | None] = lambda: None):
        self.writer = writer
        self.session = session

    def add(self, frame: Frame) -> None:
        if self.writer.error is not None:
            raise Reported
        self.writer.add_frame(FrameRecord(frame.index, frame.t, frame.dt, frame.hops, frame.size,
                                          frame.events, frame.loads, self.session()))

    def close(self) -> None:
        self.writer.close()


class RecorderSink(FrameSink):
    """The picture into `--record`'s recorder, placed by the frame's wall time, read back only
    when the recorder has room: `read` at the recording's size, else the frame's shared read-back."""

    name = "recorder"

    def __init__(self, recorder: Recorder, read: Callable[[], np.ndarray] | None = None):
        self.recorder = recorder
        self.read = read

    def add(self, frame: Frame) -> None:
        if self.recorder.error is not None:
            raise Reported
        self.recorder.add_frame(frame.rgb if self.read is None else self.read, frame.started)

    def close(self) -> None:
        failed = self.recorder.error is not None
        try:
            self.recorder.finish()
        except EncoderError:
            if failed:
                raise Reported from None
            raise


class OutputsSink(FrameSink):
    """The picture to the video outputs (NDI, Syphon, Spout, virtual camera)."""

    name = "outputs"

    def __init__(self, outputs: Outputs):
        self.outputs = outputs

    def start(self) -> None:
        self.outputs.start()

    def add(self, frame: Frame) -> None:
        self.outputs.send(frame.rgb())

    def close(self) -> None:
        self.outputs.close()


class FeatureOutSink(FrameSink):
    """--osc-out: each frame's features (with the active tempo source) to other software."""

    name = "osc-out"

    def __init__(self, feature_out: FeatureOut):
        self.feature_out = feature_out

    def add(self, frame: Frame) -> None:
        self.feature_out.frame(frame.control.features, frame.t)


class VideoSink(FrameSink):
    """Frames into a video at a fixed rate: frame time t fills the video frames up to t, so a
    faster or slower frame grid than the video's is re-timed (offline render and replay)."""

    name = "video"

    def __init__(self, encoder: VideoEncoder, start: float, fps: float, frames: int,
                 advance: Callable[[], None] = lambda: None):
        self.encoder = encoder
        self.start_t = start
        self.fps = fps
        self.frames = frames
        self.advance = advance
        self.written = 0
        self.last: np.ndarray | None = None

    def add(self, frame: Frame) -> None:
        self.last = frame.rgb()
        while self.written < self.frames and self.start_t + self.written / self.fps <= frame.t + 1e-9:
            self._write()

    def close(self) -> None:
        """Repeat the last picture to the video's full length."""
        while self.written < self.frames and self.last is not None:
            self._write()

    def _write(self) -> None:
        self.encoder.write(self.last)
        self.written += 1
        self.advance()
