"""Offline render (`vjengine render`): an audio file through the frame core, frame by frame, into an MP4."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from vjengine.audio.analysis import AnalysisConfig, Analyzer
from vjengine.audio.filesource import decode, hops
from vjengine.config import OfflineConfig
from vjengine.control import events
from vjengine.control.autopilot import Autopilot
from vjengine.control.events import ControlEvent
from vjengine.control.state import ControlFrame, ControlState
from vjengine.render.encoder import VideoEncoder
from vjengine.render.evaluate import make_backend
from vjengine.render.frame import FrameRenderer, internal_size
from vjengine.render.gl import Pipeline, create_offscreen_context
from vjengine.show.core import FrameCore
from vjengine.show.sinks import Sinks, VideoSink
from vjengine.show.styles import PreparedStyles
from vjengine.styles.descriptors import measure
from vjengine.styles.store import Style

log = logging.getLogger(__name__)


@dataclass
class RenderJob:
    """What `vjengine render` was asked for."""

    audio: Path
    output: Path
    style_a: Style
    style_b: Style | None = None
    xfade_beats: float = OfflineConfig.xfade_beats
    size: tuple[int, int] = OfflineConfig.size
    fps: float = OfflineConfig.fps
    render_scale: float = OfflineConfig.render_scale
    backend: str = OfflineConfig.backend
    upscale: str = OfflineConfig.upscale
    params: dict[str, float] = field(default_factory=dict)
    analysis: AnalysisConfig = field(default_factory=AnalysisConfig)
    autopilot: tuple[Style, ...] = ()  # with styles, the autopilot chooses among them
    seed: int = 0


def beat_swing(position: float, beats: float) -> float:
    """Crossfade that swings A -> B -> A with the show's beat position, each way taking `beats`."""
    if beats <= 0:
        return 0.0
    return 1.0 - abs(((position / beats) % 2.0) - 1.0)


def swinging(beats: float) -> Callable[[ControlFrame], ControlFrame]:
    """The frame core's automation for a render with two styles: the crossfade follows beat_swing."""
    def swing(frame: ControlFrame) -> ControlFrame:
        return replace(frame, params={**frame.params, "xfade": beat_swing(frame.position, beats)})

    return swing


def control_for(job: RenderJob) -> ControlState:
    """The controls of an offline render: the job's styles on the decks, its parameters set."""
    control = ControlState()
    for target, style in ((events.STYLE_A, job.style_a), (events.STYLE_B, job.style_b)):
        if style is not None:
            control.handle(ControlEvent(target, style.slug, source="render"))
            control.style_loaded(style.slug)
    for name, value in job.params.items():
        control.params.set(name, value)
    control.params.jump()
    if job.autopilot:
        control.autopilot = Autopilot({style.slug: measure(style) for style in job.autopilot}, seed=job.seed)
        for style in job.autopilot:
            control.style_loaded(style.slug)
    return control


@contextmanager
def render_progress(total: int, show: bool = True) -> Iterator[Callable[[], None]]:
    """A progress bar with fps and ETA; yields the function that counts one frame done."""
    columns = (TextColumn("[bold]render"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[fps]:.1f} fps"), TimeRemainingColumn())
    with Progress(*columns, disable=not show) as progress:
        task = progress.add_task("render", total=total, fps=0.0)

        def advance() -> None:
            done = progress.tasks[0].completed + 1
            progress.update(task, advance=1, fps=done / max(progress.tasks[0].elapsed or 0.0, 1e-9))

        yield advance


def render_file(job: RenderJob, show_progress: bool = True) -> Path:
    """Render job.audio to job.output; nothing is left at job.output if anything fails."""
    samples = decode(job.audio, job.analysis.samplerate)
    duration = len(samples) / job.analysis.samplerate
    n_frames = max(1, round(duration * job.fps))
    analyzer = Analyzer(job.analysis)
    hop_stream = hops(samples, job.analysis.hop_size)
    hop_seconds = job.analysis.hop_size / job.analysis.samplerate
    ctx = create_offscreen_context()
    pipeline = Pipeline(ctx, job.size, upscale=job.upscale)
    with VideoEncoder(job.output, job.size, job.fps, audio=job.audio) as encoder, \
            make_backend(job.backend, ctx, steady=True) as backend, render_progress(n_frames, show_progress) as advance:
        used = {style.slug: style for style in (job.style_a, job.style_b, *job.autopilot) if style}
        styles = PreparedStyles(backend, used.values())
        renderer = FrameRenderer(backend, pipeline, internal_size(job.size, job.render_scale))
        video = Sinks([VideoSink(encoder, 0.0, job.fps, n_frames, advance)])
        core = FrameCore(control_for(job), styles, renderer, video,
                         automation=swinging(job.xfade_beats) if job.style_b is not None else None)
        showing = None
        for i in range(n_frames):
            t = i / job.fps
            while analyzer.features.t + hop_seconds <= t + 1e-9:
                hop = next(hop_stream, None)
                if hop is None:
                    break
                analyzer.process(hop)
            frame = core.step(t, 1.0 / job.fps if i else 0.0, analyzer.features).control
            visible = frame.style_b if frame.params["xfade"] >= 0.5 else frame.style_a
            if visible != showing:
                showing = visible
                log.info("%.3f s: showing %s", t, visible)
        core.sinks.close()
        path = encoder.finish()
    ctx.release()
    log.info("rendered %d frames (%.2f s) to %s", n_frames, duration, path)
    return path
