"""Fuzz target for show journals: hostile fields, sizes, bytes and parts folders replay or are refused.

The contract: `Journal(path)` either returns frames a replay can use (every size within the caps,
internal sizes within the live size, finite times, hops within the audio read) or raises
JournalError with one short line naming the journal. No other exception, and no more memory than
the caps allow.
"""

from __future__ import annotations

import io
import json
import math
import shutil
import zipfile
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

from vjengine.audio.analysis import AnalysisConfig
from vjengine.control.events import ControlEvent
from vjengine.control.tempo import TempoReading
from vjengine.show import journal_fields
from vjengine.show.journal import AUDIO, SHOW, TIMELINE, FrameRecord, Journal, JournalError, JournalWriter, show_description

HOSTILE = st.one_of(
    st.sampled_from([0, -1, 1, 15, 16, 8192, 8193, 40000, 2**31, 2**63, 10**30, 0.5, -0.0, math.nan, math.inf,
                     -math.inf, None, True, "", "30", [], {}, [0], [16, 16], [0, 0], [40000, 40000], [16, 16, 16],
                     [math.nan, 16], ["a", "b"], [None, None], {"a": 1}]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.lists(st.integers(-10, 50000), max_size=3),
)
SHOW_FIELDS = sorted(journal_fields.SHOW_KEYS) + ["colour"]
RECORD_FIELDS = sorted(journal_fields.RECORD_KEYS) + ["colour"]
ANALYSIS_FIELDS = ["samplerate", "hop_size", "window_size", "onset_method", "tracker", "beat_lookahead", "colour"]


def base_journal(folder: Path) -> Path:
    """A small real journal written by JournalWriter: 12 frames, events, loads and Link readings."""
    show = show_description(size=[64, 36], fps=30.0, backend="cpu", latency=0.02, analysis=AnalysisConfig(),
                            params={"zoom": 1.2}, default_slots=["first"], preset=None, beats_per_bar=4,
                            midi_map=None)
    writer = JournalWriter(folder / "base.vjshow", show, None)
    for i in range(12):
        writer.add_audio(np.sin(np.arange(512) * 0.01 * (i + 1)).astype(np.float32))
        writer.add_frame(FrameRecord(i, i / 30.0, 1 / 30.0, i, (16, 16),
                                     [ControlEvent("param/zoom", 1.0 + i / 10, "osc:1", i / 30.0)] if i % 3 else [],
                                     [("first", "ab" * 32)] if i == 1 else [],
                                     TempoReading(120.0, i / 4, "link", steady=True, quantum=4) if i % 2 else None))
    return writer.close()


@st.composite
def cases(draw, base: bytes) -> dict:
    """A journal case: the base archive with show.json, timeline, audio or the bytes mutated."""
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    kind = draw(st.sampled_from(["show", "analysis", "record", "line", "audio", "bytes", "truncate", "parts"]))
    if kind == "show":
        show = json.loads(members[SHOW])
        key = draw(st.sampled_from(SHOW_FIELDS))
        if draw(st.booleans()) and key in show:
            del show[key]
        else:
            show[key] = draw(HOSTILE)
        members[SHOW] = json.dumps(show).encode()
    elif kind == "analysis":
        show = json.loads(members[SHOW])
        show["analysis"][draw(st.sampled_from(ANALYSIS_FIELDS))] = draw(HOSTILE)
        members[SHOW] = json.dumps(show).encode()
    elif kind in ("record", "line"):
        lines = members[TIMELINE].split(b"\n")
        i = draw(st.integers(0, len(lines) - 2))
        if kind == "record":
            record = json.loads(lines[i])
            record[draw(st.sampled_from(RECORD_FIELDS))] = draw(HOSTILE)
            lines[i] = json.dumps(record).encode()
        else:
            lines[i] = draw(st.binary(max_size=80) | st.sampled_from([b"[]", b"null", b"{}", b"[" * 5000]))
        members[TIMELINE] = b"\n".join(lines)
    elif kind == "audio":
        members[AUDIO] = members[AUDIO][:draw(st.integers(0, len(members[AUDIO])))]
    blob = io.BytesIO()
    with zipfile.ZipFile(blob, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = blob.getvalue()
    if kind == "bytes":
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        data = bytes(data)
    elif kind == "truncate":
        data = data[:draw(st.integers(0, len(data) - 1))]
    parts = None
    if kind == "parts":  # an unfinished show: the members as files, each possibly cut short
        parts = {name: blob[:draw(st.integers(0, len(blob)))] if draw(st.booleans()) else blob
                 for name, blob in members.items() if not name.startswith("presets/")}
    return {"archive": data, "parts": parts}


def write_case(path: Path, archive: bytes, parts: dict[str, bytes] | None) -> Path:
    """The case on disk: an archive at path, or a parts folder beside it."""
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if parts is None:
        path.write_bytes(archive)
        return path
    path.mkdir()
    for name, data in parts.items():
        (path / name).write_bytes(data)
    return path


def check_journal(path: Path) -> str:
    """Open one journal and assert the contract; returns "read" or "refused"."""
    try:
        journal = Journal(path)
    except JournalError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 800 and str(path) in message, message[:2000]
        return "refused"
    try:
        width, height = journal.show["size"]
        assert 16 <= width <= journal_fields.MAX_SIDE and 16 <= height <= journal_fields.MAX_SIDE
        assert 1 <= journal.show["fps"] <= journal_fields.MAX_FPS
        hop = journal.analysis.hop_size
        assert journal.frames and len(journal.audio) * 4 <= 64 << 20
        for i, record in enumerate(journal.frames):
            assert record.f == i and math.isfinite(record.t) and math.isfinite(record.dt)
            assert 16 <= record.size[0] <= width and 16 <= record.size[1] <= height
            assert record.hops * hop <= len(journal.audio)
        return "read"
    finally:
        journal.close()
