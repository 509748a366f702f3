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
import zlib
from collections.abc import Iterator
from typing import IO
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vjengine import __version__
from vjengine.control.events import ControlEvent
from vjengine.control.tempo import SessionTempo, TempoReading
from vjengine.tomlfile import MAX_BYTES as MAX_PRESET_BYTES
from vjengine.errors import InputError
from vjengine.names import is_name
from vjengine.show import journal_fields as check

FORMAT, VERSION = "vjshow", 1
SHOW, AUDIO, TIMELINE, PRESETS = "show.json", "audio.f32", "timeline.jsonl", "presets"
MAX_SHOW_BYTES = 1 << 20
MAX_TIMELINE_BYTES = 128 << 20  # about 700,000 frames: over three hours at 60 fps
MAX_AUDIO_SECONDS = 4 * 3600
AUDIO_TAIL_SECONDS = 10  # audio kept after the last frame's hops, for the replay's soundtrack
AUDIO_CHUNK_BYTES = 1 << 20
MAX_PRESET_FILES = 256

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
    def from_json(cls, line: str | bytes, live_size: tuple[int, int] = (check.MAX_SIDE, check.MAX_SIDE)
                  ) -> "FrameRecord":
        """A record from one timeline line, every field checked (ValueError names the bad one)."""
        data = check.record(json.loads(line), live_size)
        return cls(
            f=data["f"], t=float(data["t"]), dt=float(data["dt"]), hops=data["hops"],
            size=(data["size"][0], data["size"][1]),
            events=[ControlEvent(target, _tupled(value), source, float(t))
                    for target, value, source, t in data.get("events", [])],
            loads=[(slug, digest) for slug, digest in data.get("loads", [])],
            session=data.get("session"),
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
                try:
                    fh.close()
                except OSError as exc:  # the last buffered bytes did not fit
                    self.error = self.error or exc

    def close(self) -> Path:
        """Finish writing and pack the parts folder into the .vjshow archive."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise JournalError(f"{self.path}: incomplete, writing failed ({self.error}); "
                               f"what was written is in {self.parts}")
        tmp = None
        try:
            show = json.loads((self.parts / SHOW).read_text())
            show.update(styles=self.styles, frames=self.frames)
            _replace_text(self.parts / SHOW, json.dumps(show, indent=1))
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".zip")
            os.fchmod(fd, 0o644)  # mkstemp makes files private; a journal is meant to be replayed anywhere
            os.close(fd)
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(self.parts.rglob("*")):
                    if file.is_file():
                        archive.write(file, file.relative_to(self.parts).as_posix())
            os.replace(tmp, self.path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise JournalError(f"{self.path}: cannot pack the journal ({exc}); it stays in {self.parts}") from None
        shutil.rmtree(self.parts, ignore_errors=True)
        log.info("journal: %d frames, %d styles -> %s", self.frames, len(self.styles), self.path)
        return self.path


def _replace_text(path: Path, text: str) -> None:
    """Write a file through a temporary one: on a full disk the old file stays whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class _Members:
    """A journal's files, from its ZIP archive or its parts folder, read with a byte cap each."""

    def __init__(self, path: Path):
        self.path = path
        self.folder = path.is_dir()
        self.archive = None if self.folder else zipfile.ZipFile(path)  # noqa: SIM115 (closed by Journal)

    def names(self) -> list[str]:
        if self.archive is not None:
            return self.archive.namelist()
        return [p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()]

    def open(self, name: str) -> IO[bytes]:
        """The member as a stream of its (decompressed) bytes."""
        if self.archive is not None:
            try:
                return self.archive.open(self.archive.getinfo(name))
            except KeyError:
                raise JournalError(f"{self.path}: no {name} in the journal") from None
        file = self.path / name
        if file.is_symlink() or not file.is_file():
            raise JournalError(f"{self.path}: no {name} in the journal (or not a regular file)")
        return open(file, "rb")  # noqa: SIM115 (the caller closes it)

    def read(self, name: str, limit: int) -> bytes:
        """The member's bytes; one of more than limit bytes is refused without reading the rest."""
        with self.open(name) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise JournalError(f"{self.path}: {name} holds more than {limit} bytes, the limit")
        return data

    def copy_samples(self, name: str, target: Path, limit: int) -> np.ndarray:
        """At most the first `limit` bytes of a float32 member, copied to target chunk by chunk
        (NaN and infinities zeroed) and mapped from there: no size of member fills the memory."""
        with self.open(name) as fh, open(target, "wb") as out:
            while limit >= 4 and (chunk := fh.read(min(AUDIO_CHUNK_BYTES, limit))):
                chunk = chunk[:len(chunk) // 4 * 4]
                out.write(np.nan_to_num(np.frombuffer(chunk, dtype="<f4"), posinf=0.0, neginf=0.0).tobytes())
                limit -= len(chunk)
        if target.stat().st_size == 0:
            return np.zeros(0, dtype=np.float32)
        return np.memmap(target, dtype="<f4", mode="r")

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


class Journal:
    """A journal opened for replay: the show description, the audio and the frames, all checked.

    A parts folder (a show that never finished) replays up to its last complete record whose audio
    was written; a finished journal must be whole.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._tmp = tempfile.TemporaryDirectory(prefix="vjshow-")
        try:
            members = _Members(self.path)
            try:
                self._read(members)
            finally:
                members.close()
        except JournalError:
            self.close()
            raise
        except (OSError, EOFError, RecursionError, UnicodeDecodeError, ValueError, RuntimeError,
                NotImplementedError, zipfile.BadZipFile, zlib.error) as exc:
            self.close()
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise JournalError(f"{self.path}: not a readable show journal ({reason[:200]})") from None

    def _read(self, members: _Members) -> None:
        self.show = json.loads(members.read(SHOW, MAX_SHOW_BYTES))
        if not isinstance(self.show, dict) or (self.show.get("format"), self.show.get("version")) != (FORMAT, VERSION):
            found = self.show if not isinstance(self.show, dict) else self.show.get("format")
            raise JournalError(f"{self.path}: not a {FORMAT} v{VERSION} journal (found {str(found)[:40]!r})")
        try:
            check.show(self.show)
        except ValueError as exc:
            raise JournalError(f"{self.path}: {SHOW}: {exc}") from None
        self.analysis = check.analysis(self.show["analysis"])
        live_size = tuple(self.show["size"])
        hop_bytes = 4 * self.analysis.hop_size
        lines = members.read(TIMELINE, MAX_TIMELINE_BYTES).split(b"\n")
        finished = not members.folder
        if not finished:
            lines.pop()  # what follows the last newline is a record the crash cut short (or nothing)
        self.frames = []
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                record = FrameRecord.from_json(line, live_size)
                if record.f != len(self.frames):
                    raise ValueError(f"f {record.f}: expected {len(self.frames)} (frames in order)")
                if self.frames and record.hops < self.frames[-1].hops:
                    raise ValueError(f"hops {record.hops}: fewer than the frame before")
                if self.frames and record.t - self.frames[0].t > check.MAX_SHOW_SECONDS:
                    raise ValueError(f"t {record.t}: more than {check.MAX_SHOW_SECONDS:g} s after the first frame")
            except ValueError as exc:
                raise JournalError(f"{self.path}: {TIMELINE} line {i + 1}: {exc}") from None
            self.frames.append(record)
        if not self.frames:
            raise JournalError(f"{self.path}: the journal holds no frames")
        # The audio needs only the hops the last frame saw (plus the tail after it, for the soundtrack).
        needed = (self.frames[-1].hops + AUDIO_TAIL_SECONDS * self.analysis.samplerate // self.analysis.hop_size)
        limit = min(needed * hop_bytes, MAX_AUDIO_SECONDS * 4 * self.analysis.samplerate)
        self.audio = members.copy_samples(AUDIO, Path(self._tmp.name) / AUDIO, limit)
        heard = len(self.audio) // self.analysis.hop_size
        complete = sum(1 for r in self.frames if r.hops <= heard)
        if complete < len(self.frames):
            if finished:
                late = self.frames[complete]
                raise JournalError(f"{self.path}: {TIMELINE} frame {late.f}: hops {late.hops} beyond the "
                                   f"audio's {heard}")
            del self.frames[complete:]
            if not self.frames:
                raise JournalError(f"{self.path}: the unfinished journal holds no frame with its audio")
        if not finished:
            log.warning("%s: an unfinished show journal; replaying its %d complete frames",
                        self.path, len(self.frames))
        self.styles = self._styles()
        self.presets = Path(self._tmp.name) / PRESETS
        self._extract_presets(members)

    def _styles(self) -> dict[str, str]:
        """Style name -> content hash: show.json's table, or for an unfinished show its frames' loads."""
        if "styles" in self.show:
            return dict(self.show["styles"])
        styles: dict[str, str] = {}
        for record in self.frames:
            for slug, digest in record.loads:
                if digest is not None:
                    styles.setdefault(slug, digest)
        return styles

    def _extract_presets(self, members: _Members) -> None:
        """The show's scenes and MIDI maps (presets/NAME.toml, presets/midi/NAME.toml), nothing else."""
        names = [name for name in members.names() if _preset_member(name)]
        if len(names) > MAX_PRESET_FILES:
            raise JournalError(f"{self.path}: {len(names)} preset files, more than {MAX_PRESET_FILES}")
        (self.presets / "midi").mkdir(parents=True)
        for name in names:
            (self.presets.parent / name).write_bytes(members.read(name, MAX_PRESET_BYTES))

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
        self.audio = np.zeros(0, dtype=np.float32)  # unmap before the file goes
        self._tmp.cleanup()


def _preset_member(name: str) -> bool:
    parts = name.split("/")
    return (parts[0] == PRESETS and parts[-1].endswith(".toml") and is_name(parts[-1][:-5])
            and (len(parts) == 2 or (len(parts) == 3 and parts[1] == "midi")))


def show_description(**fields: object) -> dict:
    """show.json's fields, with dataclasses flattened to tables."""
    return {key: asdict(value) if hasattr(value, "__dataclass_fields__") else value
            for key, value in fields.items()}
