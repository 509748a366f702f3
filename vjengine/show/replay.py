"""Replay a show journal (`vjengine replay`): the frame core again, at any size and rate, into an MP4."""

from __future__ import annotations

import logging
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vjengine.audio.analysis import Analyzer
from vjengine.audio.filesource import hops
from vjengine.control.autopilot import Autopilot
from vjengine.control.midimap import MidiMapLibrary, MidiMapper
from vjengine.control.options import start_scene
from vjengine.control.presets import PresetLibrary
from vjengine.control.state import ControlState
from vjengine.render.encoder import VideoEncoder
from vjengine.render.evaluate import make_backend
from vjengine.render.frame import FrameRenderer
from vjengine.render.gl import Pipeline, create_offscreen_context
from vjengine.show.breeding import Breeding
from vjengine.show.core import FrameCore
from vjengine.show.journal import Journal, JournalError, SessionPlayback
from vjengine.show.offline import render_progress
from vjengine.show.sinks import SnapshotSink, Sinks, VideoSink
from vjengine.show.styles import PreparedStyles
from vjengine.styles.store import Style, StyleError, find_style

log = logging.getLogger(__name__)


@dataclass
class ReplayJob:
    """What `vjengine replay` was asked for."""

    journal: Path
    output: Path
    styles_dir: Path
    size: tuple[int, int] | None = None  # None: the live size
    fps: float | None = None  # None: every live frame, exactly as shown
    backend: str | None = None  # None: the live backend
    frames_dir: Path | None = None  # also write each rendered frame as PNG here


def journal_styles(journal: Journal, styles_dir: Path) -> dict[str, Style]:
    """The styles the show used, checked against their recorded content hashes."""
    styles, problems = {}, []
    for slug, digest in journal.styles.items():
        try:
            style = find_style(styles_dir, slug)
        except StyleError as exc:
            problems.append(f"{slug} is missing ({exc})")
            continue
        if style.content_hash != digest:
            problems.append(f"{slug} has changed since the show (hash {style.content_hash[:12]}, "
                            f"recorded {digest[:12]})")
        styles[slug] = style
    for record in journal.frames:
        for slug, digest in record.loads:
            if digest is not None and digest != journal.styles.get(slug):
                problems.append(f"{slug} was edited during the show (frame {record.f}); "
                                "only one version can be replayed")
    if problems:
        raise JournalError(f"{journal.path}: cannot replay: " + "; ".join(dict.fromkeys(problems)))
    return styles


def replay_control(journal: Journal, session: SessionPlayback | None) -> ControlState:
    """The controls as the show started: same presets (from the journal), slots, scene, parameters."""
    show = journal.show
    presets = PresetLibrary(journal.presets)
    mapper = MidiMapper(MidiMapLibrary(journal.presets / "midi"), show["midi_map"]) if show.get("midi_map") else None
    state = ControlState(presets, mapper, beats_per_bar=int(show.get("beats_per_bar", 4)))
    state.tempo.session = session
    if show.get("autopilot"):
        state.autopilot = Autopilot.from_settings(show["autopilot"], state.beats_per_bar)
    start_scene(state, tuple(show.get("default_slots", ())), show.get("preset"))
    for name, value in show.get("params", {}).items():
        state.params.set(name, value)
    state.params.jump()
    return state


def replay(job: ReplayJob, show_progress: bool = True) -> Path:
    """Render a journal to job.output; at the live size and rate, the pictures are the live ones."""
    journal = Journal(job.journal)
    try:
        return _replay(journal, job, show_progress)
    finally:
        journal.close()


def _replay(journal: Journal, job: ReplayJob, show_progress: bool) -> Path:
    show = journal.show
    styles = journal_styles(journal, job.styles_dir)
    live_size = tuple(show["size"])
    size = job.size or live_size
    fps = job.fps or float(show["fps"])
    analysis = journal.analysis
    try:
        analyzer = Analyzer(analysis)
    except (ValueError, RuntimeError) as exc:
        raise JournalError(f"{journal.path}: analysis settings cannot be used ({exc})") from None
    hop_stream = hops(journal.audio, analysis.hop_size)
    session = SessionPlayback() if any(r.session is not None for r in journal.frames) else None
    control = replay_control(journal, session)
    ctx = create_offscreen_context()
    backend = make_backend(job.backend or show["backend"], ctx, steady=True)
    renderer = FrameRenderer(backend, Pipeline(ctx, size, upscale=show.get("upscale", "cubic")), live_size)
    prepared = PreparedStyles(backend, styles.values())
    control.breeding = Breeding(backend, prepared.styles, None)  # the show's grids; saves were the show's
    if job.frames_dir is not None:
        job.frames_dir.mkdir(parents=True, exist_ok=True)
    start = journal.frames[0].t
    steps = [(r.t, [r]) for r in journal.frames] if job.fps is None else list(journal.frames_at(fps))
    n_video = max(1, int((journal.frames[-1].t - start) * fps) + 1)
    with tempfile.TemporaryDirectory(prefix="vjreplay-") as tmp:
        # Frame time t shows the audio heard at t: the soundtrack starts at the first frame's time.
        first = int(round(max(start, 0.0) * analysis.samplerate))
        audio = soundtrack(Path(tmp) / "audio.wav", journal.audio[first:], analysis.samplerate)
        with VideoEncoder(job.output, size, fps, audio=audio) as encoder, \
                render_progress(n_video, show_progress) as advance:
            video = VideoSink(encoder, start, fps, n_video, advance)
            sinks = Sinks([video] if job.frames_dir is None else [video, SnapshotSink(job.frames_dir, 1)])
            core = FrameCore(control, prepared, renderer, sinks)
            previous_t = None
            for t, covered in steps:
                while analyzer.hops < (covered[-1].hops if covered else 0):
                    analyzer.process(next(hop_stream))
                if covered:
                    renderer.internal_size = scaled(covered[-1].size, live_size, size)
                    if session is not None:
                        session.current = covered[-1].session
                dt = covered[0].dt if job.fps is None else (0.0 if previous_t is None else t - previous_t)
                previous_t = t
                prepared.arrive(load for record in covered for load in record.loads)
                core.step(t, dt, analyzer.features, [event for record in covered for event in record.events])
            sinks.close()
            path = encoder.finish()
    backend.close()
    ctx.release()
    log.info("replayed %d live frames into %d frames at %gx%g, %g fps: %s",
             len(journal.frames), video.written, *size, fps, path)
    return path


def soundtrack(path: Path, samples: np.ndarray, samplerate: int, chunk: int = 1 << 18) -> Path:
    """The journal's audio as 16-bit WAV, a chunk at a time (a long show's audio stays on disk)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(samplerate)
        for start in range(0, len(samples), chunk):
            out.writeframes((np.clip(samples[start:start + chunk], -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return path


def scaled(internal: tuple[int, int], live: tuple[int, int], size: tuple[int, int]) -> tuple[int, int]:
    """The live internal resolution, scaled with the output size."""
    if tuple(size) == tuple(live):
        return tuple(internal)
    return (max(16, round(internal[0] * size[0] / live[0])), max(16, round(internal[1] * size[1] / live[1])))

