"""Offline render: an audio file through the live frame path on a manual clock, into an MP4."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vjengine.audio.analysis import AnalysisConfig, Analyzer
from vjengine.audio.features import AudioFeatures
from vjengine.audio.filesource import decode, hops
from vjengine.clock import ManualClock
from vjengine.control.params import ParamState
from vjengine.errors import InputError
from vjengine.render.encoder import VideoEncoder
from vjengine.render.evaluate import make_backend
from vjengine.render.frame import FrameRenderer, StylePair
from vjengine.render.gl import Pipeline, create_offscreen_context
from vjengine.styles.store import Style

log = logging.getLogger(__name__)


@dataclass
class RenderJob:
    """What `vjengine render` was asked for."""

    audio: Path
    output: Path
    style_a: Style
    style_b: Style | None = None
    xfade_beats: float = 8.0
    size: tuple[int, int] = (1920, 1080)
    fps: float = 30.0
    render_scale: float = 0.25
    backend: str = "auto"
    params: dict[str, float] = field(default_factory=dict)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)


def internal_size(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """The CPPN's resolution for an output size and render scale (at least 16 pixels a side)."""
    if not 0.0 < scale <= 1.0:
        raise InputError(f"--render-scale {scale}: expected a number in (0, 1]")
    return max(16, round(size[0] * scale)), max(16, round(size[1] * scale))


def beat_swing(features: AudioFeatures, t: float, beats: float) -> float:
    """Crossfade that swings A -> B -> A, each way taking `beats` beats (0 before the first beat)."""
    if features.beat_count == 0 or beats <= 0:
        return 0.0
    position = (features.beat_count - 1 + features.beat_phase(t)) / beats
    return 1.0 - abs((position % 2.0) - 1.0)


def render_file(job: RenderJob, show_progress: bool = True) -> Path:
    """Render job.audio to job.output; nothing is left at job.output if anything fails."""
    samples = decode(job.audio, job.analysis.samplerate)
    duration = len(samples) / job.analysis.samplerate
    n_frames = max(1, round(duration * job.fps))
    analyzer = Analyzer(job.analysis)
    hop_stream = hops(samples, job.analysis.hop_size)
    hop_seconds = job.analysis.hop_size / job.analysis.samplerate

    ctx = create_offscreen_context()
    pipeline = Pipeline(ctx, job.size)
    params = ParamState(job.params)
    params.jump()
    clock = ManualClock()
    columns = (TextColumn("[bold]render"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[fps]:.1f} fps"), TimeRemainingColumn())
    with VideoEncoder(job.output, job.size, job.fps, audio=job.audio) as encoder, \
            make_backend(job.backend) as backend, Progress(*columns, disable=not show_progress) as progress:
        styles = StylePair(backend.prepare(job.style_a),
                           backend.prepare(job.style_b) if job.style_b is not None else None)
        renderer = FrameRenderer(backend, pipeline, internal_size(job.size, job.render_scale))
        task = progress.add_task("render", total=n_frames, fps=0.0)
        features = analyzer.features
        for i in range(n_frames):
            t = i / job.fps
            clock.set(t)
            while analyzer.features.t + hop_seconds <= t + 1e-9:
                hop = next(hop_stream, None)
                if hop is None:
                    break
                features = analyzer.process(hop)
            if job.style_b is not None:
                params.set("xfade", beat_swing(features, t, job.xfade_beats))
            dt = 1.0 / job.fps if i else 0.0
            renderer.render(clock.now(), dt, features, params.advance(dt), styles)
            encoder.write(pipeline.read_rgb())
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(task, advance=1, fps=(i + 1) / elapsed)
        path = encoder.finish()
    ctx.release()
    log.info("rendered %d frames (%.2f s) to %s", n_frames, duration, path)
    return path
