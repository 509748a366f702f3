"""Show journals (.vjshow): everything that determined the picture of a live show, for exact replay.

A journal is a ZIP archive (readable with any unzip tool) holding:

| member | content |
| --- | --- |
| `show.json` | format and version, engine version, output size, target fps, backend, latency, the analysis config, beats per bar, MIDI map, the scene and parameters at the start, and every style used (slug -> SHA-256 content hash, as `vjengine.styles.store` computes it) |
| `audio.f32` | the analysed audio: little-endian float32 mono samples, exactly the hops the analysis saw (after channel mix and gain; silence while the input was lost) |
| `timeline.jsonl` | one JSON object per frame: `f` index, `t` frame time and `dt` (s, on the show's audio clock), `hops` analysed so far, `size` internal CPPN resolution, `events` applied before the frame (`[target, value, source, t]`), `loads` after it (`[slug, hash]`, hash null for a failed load), and with `--link` the `session` tempo reading the frame saw (an outside clock, so it is recorded rather than recomputed) |
| `presets/` | the scenes and MIDI maps as they were when the show started (presets loaded or saved mid-show replay from this copy) |

While the show runs, the journal is written into a `.NAME.vjshow.parts/` folder beside it by its own
thread (the render loop only queues); closing packs it into the ZIP. If the engine dies, the parts
folder remains and `vjengine replay` reads it as it is.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vjengine import __version__
from vjengine.control.events import ControlEvent
from vjengine.control.tempo import SessionTempo, TempoReading
from vjengine.errors import InputError

FORMAT, VERSION = "vjshow", 1
SHOW, AUDIO, TIMELINE, PRESETS = "show.json", "audio.f32", "timeline.jsonl", "presets"

log = logging.getLogger(__name__)


class JournalError(InputError):
    """A journal that cannot be read or replayed; str() names the file and the reason."""


def _plain(value: object) -> object:
    """An event value as JSON (tuples become lists; floats keep every bit via repr)."""
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _tupled(value: object) -> object:
    """A JSON event value back as the producers made it (lists were tuples)."""
    if isinstance(value, list):
        return tuple(_tupled(v) for v in value)
    return value


@dataclass
class FrameRecord:
    """One frame of the timeline."""

    f: int
    t: float
    dt: float
    hops: int
    size: tuple[int, int]
    events: list[ControlEvent] = field(default_factory=list)
    loads: list[tuple[str, str | None]] = field(default_factory=list)
    session: TempoReading | None = None

    def to_json(self) -> str:
        return json.dumps({
            "f": self.f, "t": self.t, "dt": self.dt, "hops": self.hops, "size": list(self.size),
            "events": [[e.target, _plain(e.value), e.source, e.t] for e in self.events],
            "loads": [list(load) for load in self.loads],
            "session": None if self.session is None else asdict(self.session),
        })

    @classmethod
    def from_json(cls, line: str) -> "FrameRecord":
        data = json.loads(line)
        return cls(
            f=int(data["f"]), t=float(data["t"]), dt=float(data["dt"]), hops=int(data["hops"]),
            size=(int(data["size"][0]), int(data["size"][1])),
            events=[ControlEvent(str(target), _tupled(value), str(source), float(t))
                    for target, value, source, t in data["events"]],
            loads=[(str(slug), None if digest is None else str(digest)) for slug, digest in data["loads"]],
            session=TempoReading(**data["session"]) if data.get("session") else None,
        )


class SessionRecorder:
    """Wraps a live session tempo (Link) so that each frame's reading can be journaled."""

    def __init__(self, session: SessionTempo):
        self.session = session
        self.last: TempoReading | None = None

    def reading(self, t: float) -> TempoReading | None:
        self.last = self.session.reading(t)
        return self.last

    def propose(self, bpm: float) -> None:
        self.session.propose(bpm)


class SessionPlayback:
    """The journaled session readings, handed back frame by frame during a replay."""

    def __init__(self):
        self.current: TempoReading | None = None

    def reading(self, t: float) -> TempoReading | None:
        return self.current

    def propose(self, bpm: float) -> None:
        """A replay tells no one."""


class JournalWriter:
    """Records a live show; the render and analysis threads only queue, a writer thread writes."""

    def __init__(self, path: str | os.PathLike, show: dict, presets_dir: Path | None):
        self.path = Path(path)
        if self.path.suffix != ".vjshow":
            raise InputError(f"--journal {self.path}: expected a .vjshow file name")
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"--journal {self.path}: folder {folder} does not exist")
        self.parts = folder / f".{self.path.name}.parts"
        try:
            if self.parts.exists():
                shutil.rmtree(self.parts)
            self.parts.mkdir()
            if presets_dir is not None and presets_dir.is_dir():
                shutil.copytree(presets_dir, self.parts / PRESETS,
                                ignore=shutil.ignore_patterns(".*"), symlinks=False)
            (self.parts / SHOW).write_text(json.dumps({"format": FORMAT, "version": VERSION,
                                                       "engine": __version__, **show}, indent=1))
        except OSError as exc:
            raise InputError(f"--journal {self.path}: cannot write ({exc.strerror or exc})") from None
        self.styles: dict[str, str] = {}
        self.frames = 0
        self.error: OSError | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write, daemon=True, name="journal")
        self._thread.start()

    def add_audio(self, hop: np.ndarray) -> None:
        """One analysed hop (analysis thread)."""
        self._queue.put((AUDIO, np.asarray(hop, dtype="<f4").tobytes()))

    def add_frame(self, record: FrameRecord) -> None:
        """One rendered frame (render thread)."""
        for slug, digest in record.loads:
            if digest is not None:
                self.styles.setdefault(slug, digest)
        self.frames += 1
        self._queue.put((TIMELINE, record.to_json().encode() + b"\n"))

    def _write(self) -> None:
        files = {}
        try:
            files = {name: open(self.parts / name, "ab") for name in (AUDIO, TIMELINE)}  # noqa: SIM115
            while (item := self._queue.get()) is not None:
                files[item[0]].write(item[1])
        except OSError as exc:
            self.error = exc
            log.error("journal %s: writing failed (%s); the show goes on without it", self.path, exc)
            while self._queue.get() is not None:  # keep draining so producers never back up
                pass
        finally:
            for fh in files.values():
                fh.close()

    def close(self) -> Path:
        """Finish writing and pack the parts folder into the .vjshow archive."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise JournalError(f"{self.path}: incomplete, writing failed ({self.error}); "
                               f"what was written is in {self.parts}")
        show = json.loads((self.parts / SHOW).read_text())
        show.update(styles=self.styles, frames=self.frames)
        (self.parts / SHOW).write_text(json.dumps(show, indent=1))
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".zip")
        os.fchmod(fd, 0o644)  # mkstemp makes files private; a journal is meant to be replayed anywhere
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(self.parts.rglob("*")):
                    if file.is_file():
                        archive.write(file, file.relative_to(self.parts).as_posix())
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise JournalError(f"{self.path}: cannot pack the journal ({exc}); it stays in {self.parts}") from None
        shutil.rmtree(self.parts, ignore_errors=True)
        log.info("journal: %d frames, %d styles -> %s", self.frames, len(self.styles), self.path)
        return self.path


class Journal:
    """A journal opened for replay: the show description, the audio and the frames."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="vjshow-")
        root = Path(self._tmp.name)
        try:
            if self.path.is_dir():
                shutil.copytree(self.path, root, dirs_exist_ok=True)
            else:
                with zipfile.ZipFile(self.path) as archive:
                    for member in archive.namelist():
                        target = (root / member).resolve()
                        if not target.is_relative_to(root.resolve()):
                            raise JournalError(f"{self.path}: member {member!r} points outside the archive")
                    archive.extractall(root)
            self.show = json.loads((root / SHOW).read_text())
            self.audio = np.fromfile(root / AUDIO, dtype="<f4").astype(np.float32)
            lines = (root / TIMELINE).read_text().splitlines()
            self.frames = [FrameRecord.from_json(line) for line in lines if line.strip()]
        except JournalError:
            raise
        except (OSError, zipfile.BadZipFile, ValueError, KeyError, TypeError, IndexError) as exc:
            raise JournalError(f"{self.path}: not a readable show journal ({exc})") from None
        if self.show.get("format") != FORMAT or self.show.get("version") != VERSION:
            raise JournalError(f"{self.path}: not a {FORMAT} v{VERSION} journal "
                               f"(found {self.show.get('format')!r} v{self.show.get('version')!r})")
        if not self.frames:
            raise JournalError(f"{self.path}: the journal holds no frames")
        self.presets = root / PRESETS

    def frames_at(self, fps: float) -> Iterator[tuple[float, list[FrameRecord]]]:
        """Frame times on a regular grid, each with the recorded frames it covers (in order)."""
        start, pending = self.frames[0].t, 0
        for k in range(max(1, math.floor((self.frames[-1].t - start) * fps) + 1)):
            t = start + k / fps
            covered = []
            while pending < len(self.frames) and self.frames[pending].t <= t + 1e-9:
                covered.append(self.frames[pending])
                pending += 1
            yield t, covered

    def close(self) -> None:
        self._tmp.cleanup()


def show_description(**fields: object) -> dict:
    """show.json's fields, with dataclasses flattened to tables."""
    return {key: asdict(value) if hasattr(value, "__dataclass_fields__") else value
            for key, value in fields.items()}
