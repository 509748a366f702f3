"""The live show: builds the frame core, stage, audio front end and sinks, and runs the frame loop."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from vjengine.audio.features import AudioFeatures
from vjengine.audio.frontend import AudioFrontEnd
from vjengine.audio.scale import envelope
from vjengine.config import EngineConfig
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.options import Control
from vjengine.errors import InputError
from vjengine.render.adaptive import AdaptiveScale
from vjengine.render.evaluate import check_backend_name, make_backend
from vjengine.render.frame import FrameRenderer, internal_size
from vjengine.render.encoder import check_output
from vjengine.render.gl import Pipeline
from vjengine.render.outputs.options import Outputs
from vjengine.render.recorder import Recorder, record_size
from vjengine.render.timing import StageTimer
from vjengine.show.breeding import Breeding
from vjengine.show.core import FrameCore
from vjengine.show.journal import JournalWriter, SessionRecorder, show_description
from vjengine.show.sinks import (
    FeatureOutSink,
    Frame,
    FrameSink,
    JournalSink,
    OutputsSink,
    RecorderSink,
    ScreenshotSink,
    Sinks,
    SnapshotSink,
)
from vjengine.show.stage import Stage
from vjengine.show.status import ShowStatus
from vjengine.show.styles import LoadingStyles
from vjengine.show.telemetry import FrameStats, TelemetryLog
from vjengine.styles.loader import StyleLoader
from vjengine.styles.store import Style, list_styles

log = logging.getLogger(__name__)
MODULE_LOADED = time.perf_counter()

HUD_PERIOD = 0.125  # seconds between HUD text updates
BEAT_LAMP_DECAY = 0.1  # seconds for the HUD's beat lamp to fade to 1/e
AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".aif", ".aiff", ".mp4"}


def process_seconds() -> float:
    """Seconds since this process started (Linux: from /proc; elsewhere since the engine module loaded)."""
    try:
        started = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.perf_counter() - MODULE_LOADED


def check_startup(config: EngineConfig, slugs: list[str]) -> None:
    """Refuse, before a window opens or a file is written, what the show could not start or finish
    with: an unknown style, a missing input file, an output that would destroy a file."""
    for flag, slug in (("--style", config.style_a), ("--style-b", config.style_b)):
        if slug is not None and slug not in slugs:
            raise InputError(f"{flag} {slug}: no such style in {config.styles_dir} "
                             f"(styles: {', '.join(slugs)})")
    spec = config.audio.input
    if spec is not None and not Path(spec).is_file() and (
            os.sep in spec or "/" in spec or Path(spec).suffix.lower() in AUDIO_SUFFIXES):
        raise InputError(f"--input {spec}: no such file")
    if config.record is not None:
        check_output(config.record, *([spec] if spec is not None and Path(spec).is_file() else []))
    files = {"--screenshot": config.screenshot, "--journal": config.journal,
             "--telemetry": config.telemetry, "--snapshots": config.snapshots}
    for flag, path in files.items():
        if path is None:
            continue
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{flag} {path}: folder {folder} does not exist")
        if flag in ("--screenshot", "--journal") and path.exists() and not path.is_file():
            raise InputError(f"{flag} {path}: not a regular file")
    if config.screenshot is not None and config.screenshot.suffix.lower() != ".png":
        raise InputError(f"--screenshot {config.screenshot}: expected a .png file")
    if config.snapshots is not None and config.snapshots.exists() and not config.snapshots.is_dir():
        raise InputError(f"--snapshots {config.snapshots}: not a folder")


class Presentation(FrameSink):
    """The frame on the stage's windows, with the HUD text renewed every HUD_PERIOD."""

    name = "stage"
    timed_stages = True  # present and hud

    def __init__(self, show: LiveShow):
        self.show = show
        self.every = max(1, round(HUD_PERIOD * show.config.render.fps))

    def add(self, frame: Frame) -> None:
        lamp = envelope(frame.t, frame.control.features.beat_t, BEAT_LAMP_DECAY)
        lines = self.show.status().hud_lines() if frame.index % self.every == 0 else None
        pipeline = self.show.pipeline
        self.show.stage.present(pipeline.output, lamp, lines, self.show.timer, pipeline.present_mode)


class LiveShow:
    """Construct on the main thread (glfw needs it), then call run()."""

    def __init__(self, config: EngineConfig, control: Control, audio: AudioFrontEnd,
                 outputs: Outputs | None = None):
        self.config = config
        self.control = control
        self.audio = audio
        self.outputs = outputs or Outputs([])
        render = config.render
        slugs = [s.slug for s in list_styles(config.styles_dir) if isinstance(s, Style)]
        if not slugs:
            raise InputError(f"{config.styles_dir}: no loadable styles (make one with `vjengine train`)")
        check_startup(config, slugs)
        check_backend_name(render.backend)  # before a window opens
        if config.snapshots is not None:
            config.snapshots.mkdir(exist_ok=True)
        self.stage = Stage(render, control.bus, audio.clock)
        self.backend = make_backend(render.backend, self.stage.ctx)
        self.pipeline = Pipeline(self.stage.ctx, self.stage.output.framebuffer_size, upscale=render.upscale)
        self.stage.on_reload = self.pipeline.reload_shaders
        self.adaptive = AdaptiveScale(render.fps, render.render_scale, enabled=render.adaptive,
                                      floor=render.min_render_scale)
        audio.open()
        self.styles = LoadingStyles(self.backend, StyleLoader(config.styles_dir))
        state = control.state
        state.breeding = Breeding(self.backend, self.styles.styles, config.styles_dir)
        for deck, slug in (("a", config.style_a), ("b", config.style_b)):
            if slug is None and deck == "a" and state.decks["a"].wanted is None:
                slug = slugs[0]
            if slug is not None:  # through the bus, so that a show journal records it as frame 0's
                target = events.STYLE_A if deck == "a" else events.STYLE_B
                control.bus.put(ControlEvent(target, slug, "start"))
        for name, value in config.params.items():
            state.params.set(name, value)
        state.params.jump()
        self.recorder: Recorder | None = None
        self.timer = StageTimer(sync=self.stage.ctx.finish)
        renderer = FrameRenderer(self.backend, self.pipeline,
                                 internal_size(self.pipeline.size, self.adaptive.scale), self.timer)
        # Robustness tests force one failing frame: VJ_INJECT_FRAME_FAULT=N raises inside frame N.
        fault_frame = int(os.environ.get("VJ_INJECT_FRAME_FAULT", "0") or 0)
        self.core = FrameCore(state, self.styles, renderer, self._sinks(), keep_going=True,
                              fault_frame=fault_frame)
        self.first_picture: float | None = None  # seconds from process start to the first drawn frame
        self.stats = FrameStats()
        self.telemetry = TelemetryLog(config.telemetry)
        self.stopping = False

    def stop(self, *_: object) -> None:
        """End the show after this frame, as Esc does (a signal handler: SIGTERM, SIGHUP)."""
        self.stopping = True

    def _sinks(self) -> Sinks:
        config = self.config
        sinks = Sinks([Presentation(self)], keep_going=True)
        if config.journal:
            sinks.append(self._journal())
        if config.snapshots is not None and config.snapshot_every > 0:
            sinks.append(SnapshotSink(config.snapshots, config.snapshot_every))
        if config.record:
            size = record_size(self.pipeline.size, config.record_size)
            self.recorder = Recorder(config.record, size, config.render.fps, config.audio.samplerate)
            self.audio.analysis.taps.append(self.recorder.add_audio)
            read = None if size == self.pipeline.size else lambda: self.pipeline.read_rgb(size)
            sinks.append(RecorderSink(self.recorder, read))
        if self.outputs:
            sinks.append(OutputsSink(self.outputs))
        if self.control.feature_out is not None:
            sinks.append(FeatureOutSink(self.control.feature_out))
        if config.screenshot is not None:
            sinks.append(ScreenshotSink(config.screenshot))
        return sinks

    def _journal(self) -> JournalSink:
        render, settings = self.config.render, self.control.settings
        show = show_description(
            size=list(self.pipeline.size), fps=render.fps, backend=self.backend.name, upscale=self.pipeline.upscaler,
            latency=render.latency, analysis=self.audio.analysis_config,
            params=dict(self.config.params), **{k: v for k, v in settings.items() if k != "presets_dir"},
        )
        journal = JournalWriter(self.config.journal, show, Path(settings.get("presets_dir", "presets")))
        self.audio.analysis.taps.append(journal.add_audio)
        tempo = self.control.state.tempo
        if tempo.session is None:
            return JournalSink(journal)
        session = tempo.session = SessionRecorder(tempo.session)
        return JournalSink(journal, lambda: session.last)

    def run(self) -> int:
        """Run the show until Esc, a closed window, stop() or --frames; returns the exit code."""
        self.audio.start()
        self.control.start()
        self.core.sinks.start()
        budget, latency = 1.0 / self.config.render.fps, self.config.render.latency
        last = time.perf_counter()
        try:
            while True:
                start = time.perf_counter()
                self.timer.start_frame()
                if self.stopping or not self.stage.poll():
                    break
                features, hops = self.audio.latest()
                t = self.audio.clock.now() + latency
                dt, last = start - last, start
                frame = self.core.step(t, dt, features, self.control.pending(), hops, start)
                with self.timer.stage("swap"):
                    self.stage.swap()
                first_picture = frame.drawn and self.first_picture is None
                if first_picture:
                    self.first_picture = process_seconds()
                    log.info("first picture %.2f s after the command started", self.first_picture)
                work = time.perf_counter() - start
                self._adapt(work, start)
                self.stats.add(dt, work, budget, self.timer.seconds)
                if self.telemetry.due() or (first_picture and self.config.telemetry):
                    self.telemetry.write(self.status(self.stats.since_logged()).telemetry_record())
                if self.config.frames is not None and self.stats.frames >= self.config.frames:
                    break
                time.sleep(max(0.0, budget - (time.perf_counter() - start)))
        finally:
            self.shutdown()
        return 0

    def _adapt(self, work: float, now: float) -> None:
        """Let the adaptive scale see the frame; apply a new scale, log the start of output-bound."""
        adaptive, was_bound = self.adaptive, self.adaptive.output_bound
        if adaptive.update(self.timer.seconds, work, now):
            self.core.renderer.internal_size = internal_size(self.pipeline.size, adaptive.scale)
            log.info("render scale %g (%dx%d)", adaptive.scale, *self.core.renderer.internal_size)
        if adaptive.output_bound and not was_bound:
            stage, seconds = adaptive.slow_stage or ("?", 0.0)
            log.warning("output-bound: the frame without the CPPN misses the %.1f ms budget; slowest "
                        "stage %s (%.1f ms); keeping the CPPN at %dx%d", 1000 * adaptive.budget, stage,
                        1000 * seconds, *self.core.renderer.internal_size)

    def status(self, frame_ms: list[float] | None = None) -> ShowStatus:
        """The show now, for the HUD and telemetry; `frame_ms`: the intervals to log with it."""
        stats, analysis, frame = self.stats, self.audio.analysis, self.core.last
        errors = dict(self.core.errors) | {f"sink {k}": v for k, v in self.core.sinks.failures.items()}
        if self.telemetry.failed:
            errors["telemetry"] = self.telemetry.failed
        if self.styles.failures:
            errors["style load"] = self.styles.failures
        return ShowStatus(
            wall=time.perf_counter(), frames=stats.frames, fps=stats.fps(), p50_ms=stats.percentile_ms(50),
            p99_ms=stats.percentile_ms(99), late=stats.late, internal=self.core.renderer.internal_size,
            scale=self.adaptive.scale, backend=self.backend.name,
            features=frame.features if frame else AudioFeatures(), input=self.audio.status,
            level=analysis.level, hops=analysis.hops, silent_hops=analysis.silent_hops,
            overruns=self.audio.source.ring.overruns, style_a=frame.style_a if frame else None,
            style_b=frame.style_b if frame else None, xfade=frame.params["xfade"] if frame else 0.0,
            hud=self.stage.hud, errors=errors, windows=len(self.stage.windows),
            recorded=self.recorder.written if self.recorder else 0,
            record_dropped=self.recorder.dropped if self.recorder else 0,
            control=self.control.status(), params=dict(self.control.state.snapshot.params),
            outputs=self.outputs.status(), outputs_line=self.outputs.hud_line() if self.outputs else None,
            beats_per_bar=self.control.state.beats_per_bar, frame_ms=frame_ms or [],
            stages_ms=stats.stages_ms(), budget_ms=1000.0 / self.config.render.fps,
            slow_stage=self.adaptive.slow_stage[0] if self.adaptive.output_bound and self.adaptive.slow_stage else None,
        )

    def shutdown(self) -> None:
        self.telemetry.write(self.status(self.stats.since_logged()).telemetry_record())
        self.telemetry.close()
        self.control.close()
        self.audio.close()
        self.styles.close()
        self.core.sinks.close()
        self.backend.close()
        self.stage.close()
