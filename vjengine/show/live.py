"""Engine: wires the live threads (audio, analysis, control, style loading) to the render loop."""

from __future__ import annotations

import logging
import math
import os
import time
from collections import Counter
from pathlib import Path

import glfw
from PIL import Image

from vjengine.audio.analysis import MAX_BEAT_LOOKAHEAD, AnalysisConfig, AnalysisThread, Analyzer
from vjengine.audio.capture import AudioInput, find_device
from vjengine.audio.features import AudioFeatures
from vjengine.audio.filesource import LoopInput, decode
from vjengine.config import EngineConfig
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.options import Control
from vjengine.control.state import ControlFrame
from vjengine.demo import demo_track
from vjengine.errors import InputError
from vjengine.show.journal import FrameRecord, JournalWriter, SessionRecorder, show_description
from vjengine.audio.scale import envelope
from vjengine.modulate import Modulator
from vjengine.render.adaptive import AdaptiveScale
from vjengine.render.evaluate import FoldedWeights, check_backend_name, make_backend
from vjengine.render.frame import FrameRenderer, internal_size
from vjengine.render.gl import Pipeline
from vjengine.render.hud import Presenter
from vjengine.render.outputs.options import Outputs
from vjengine.render.recorder import Recorder
from vjengine.render.window import Window, init_glfw
from vjengine.styles.loader import StyleLoader
from vjengine.styles.store import Style, StyleError, list_styles
from vjengine.show.telemetry import FrameStats, TelemetryLog

log = logging.getLogger(__name__)

SHOW_KEYS = {  # keys that control the show go through the control path, like OSC and MIDI
    glfw.KEY_SPACE: (events.TAP, None),
    glfw.KEY_LEFT_BRACKET: (events.param_target("xfade", "nudge"), -0.05),
    glfw.KEY_RIGHT_BRACKET: (events.param_target("xfade", "nudge"), 0.05),
    **{glfw.KEY_1 + i: (events.SLOT, i + 1) for i in range(9)},
}
HUD_PERIOD = 0.125


class AudioClock:
    """The analysed audio's stream time, extrapolated between hops: the time base of the show.

    Beats, onsets, control events and frames are all stamped with it, so tap tempo and MIDI
    clock line up with what the analysis heard.
    """

    def __init__(self):
        self.analysis: AnalysisThread | None = None

    def now(self) -> float:
        if self.analysis is None:
            return 0.0
        features, published = self.analysis.latest()
        return features.t + (time.perf_counter() - published)


def open_audio(config: EngineConfig):
    """The input: a device, "demo" or an audio file looping, or (no device at all) the demo track."""
    audio = config.audio
    if audio.input == "demo":
        log.info("audio input: the demo track, looping")
        return LoopInput(demo_track(), audio.samplerate)
    if audio.input is not None and Path(audio.input).is_file():
        log.info("audio input: %s, looping", audio.input)
        return LoopInput(decode(audio.input, audio.samplerate), audio.samplerate)
    device = find_device(audio.input)  # a named device that doesn't exist is an InputError
    if device is None:
        if not audio.demo_fallback:
            raise InputError("no audio input device found (and --no-demo-fallback was given)")
        log.warning("no audio input device: looping the demo track as the input")
        return LoopInput(demo_track(), audio.samplerate)
    source = AudioInput(audio.input, audio.samplerate, audio.channel)
    source.open()
    return source


class Engine:
    """The live show. Construct on the main thread (glfw needs it), then call run()."""

    def __init__(self, config: EngineConfig, control: Control, clock: AudioClock,
                 outputs: Outputs | None = None):
        self.config = config
        self.control = control
        self.clock = clock
        self.outputs = outputs or Outputs([])
        render = config.render
        slugs = [s.slug for s in list_styles(config.styles_dir) if isinstance(s, Style)]
        if not slugs:
            raise InputError(f"{config.styles_dir}: no loadable styles (make one with `vjengine train`)")
        check_backend_name(render.backend)  # before a window opens
        init_glfw()  # (triton is loaded before any GL context exists: see vjengine.render)
        self.output = Window("vjengine", render.size, render.monitor, render.fullscreen, render.vsync)
        self.preview = Window("vjengine preview", (640, 360), vsync=False, share=self.output) \
            if render.preview else None
        self.output.make_current()
        self.backend = make_backend(render.backend, self.output.ctx)
        self.pipeline = Pipeline(self.output.ctx, self.output.framebuffer_size)
        self.presenters = {"output": Presenter(self.output.ctx)}
        if self.preview is not None:
            self.presenters["preview"] = Presenter(self.preview.ctx)
            self.output.make_current()
        self.adaptive = AdaptiveScale(render.fps, render.render_scale, enabled=render.adaptive)
        self.modulator = Modulator()
        self.renderer = FrameRenderer(self.backend, self.pipeline,
                                      internal_size(self.pipeline.size, self.adaptive.scale))
        for window in (self.output, self.preview):
            if window is not None:
                window.on_key = self._key
        self.source = open_audio(config)
        # Beats must be known `latency` early for a picture rendered that far ahead to land on them.
        analysis = AnalysisConfig(samplerate=config.audio.samplerate,
                                  beat_lookahead=min(max(render.latency, 0.0), MAX_BEAT_LOOKAHEAD))
        self.analysis = AnalysisThread(self.source, Analyzer(analysis), gain=config.audio.gain)
        clock.analysis = self.analysis
        self.loader = StyleLoader(config.styles_dir)
        self.folded: dict[str, FoldedWeights] = {}
        self.requested: set[str] = set()
        state = control.state
        for deck, slug in (("a", config.style_a), ("b", config.style_b)):
            if slug is None and deck == "a" and state.decks["a"].wanted is None:
                slug = slugs[0]
            if slug is not None:  # through the bus, so that a show journal records it as frame 0's
                control.bus.put(ControlEvent(events.STYLE_A if deck == "a" else events.STYLE_B, slug, "start"))
        for name, value in config.params.items():
            state.params.set(name, value)
        state.params.jump()
        self.session: SessionRecorder | None = None
        self.journal = self._open_journal(slugs) if config.journal else None
        self.frame: ControlFrame | None = None
        self.stats = FrameStats()
        self._logged_frames = 0  # frames whose intervals the telemetry log already holds
        self.errors: Counter[str] = Counter()
        self.hud = render.hud
        self.quit = False
        # Robustness tests force one failing frame: VJ_INJECT_FRAME_FAULT=N raises inside frame N.
        self.fault_frame = int(os.environ.get("VJ_INJECT_FRAME_FAULT", "0") or 0)
        self.telemetry = TelemetryLog(config.telemetry)
        self.recorder = Recorder(config.record, self.pipeline.size, render.fps, config.audio.samplerate) \
            if config.record else None
        if self.recorder is not None:
            self.analysis.taps.append(self.recorder.add_audio)

    def _open_journal(self, slugs: list[str]) -> JournalWriter:
        render, settings = self.config.render, self.control.settings
        show = show_description(
            size=list(self.pipeline.size), fps=render.fps, backend=self.backend.name,
            latency=render.latency, analysis=self.analysis.analyzer.config,
            params=dict(self.config.params), **{k: v for k, v in settings.items() if k != "presets_dir"},
        )
        journal = JournalWriter(self.config.journal, show, Path(settings.get("presets_dir", "presets")))
        self.analysis.taps.append(journal.add_audio)
        tempo = self.control.state.tempo
        if tempo.session is not None:
            self.session = tempo.session = SessionRecorder(tempo.session)
        return journal

    # -- input -----------------------------------------------------------------------------
    def _key(self, key: int, mods: int) -> None:
        """Window keys (main thread): window actions here, show controls onto the control bus."""
        if key == glfw.KEY_ESCAPE:
            self.quit = True
        elif key == glfw.KEY_H:
            self.hud = not self.hud
        elif key == glfw.KEY_F:
            self.output.toggle_fullscreen()
        elif key == glfw.KEY_R:
            self.pipeline.reload_shaders()
        elif key in SHOW_KEYS:
            target, value = SHOW_KEYS[key]
            self.control.bus.put(ControlEvent(target, value, source="key", t=self.clock.now()))

    def _sync_styles(self) -> list[tuple[str, str | None]]:
        """Load what the decks want (off this thread), take what has loaded, forget the rest.

        Returns the loads reported to the controls this frame: (slug, content hash or None).
        """
        reported: list[tuple[str, str | None]] = []
        state = self.control.state
        wanted = set(state.wanted_styles())
        for slug in wanted - self.requested:
            self.loader.request(slug)
        self.requested |= wanted
        for slug, result in self.loader.results():
            if isinstance(result, StyleError):
                self.errors["style load"] += 1
                if slug in self.folded:
                    log.error("style %s changed on disk but cannot be used; keeping the loaded weights: %s",
                              slug, result)
                else:
                    state.style_failed(slug, str(result))
                    reported.append((slug, None))
                    self.requested.discard(slug)
                continue
            self.folded[slug] = self.backend.prepare(result)
            self.loader.watch(result)
            state.style_loaded(slug)
            reported.append((slug, result.content_hash))
            log.info("style loaded: %s", slug)
        shown = {self.frame.style_a, self.frame.style_b} if self.frame else set()
        for slug in set(self.folded) - wanted - shown:
            del self.folded[slug]
            self.loader.unwatch(slug)
            self.requested.discard(slug)
        return reported

    # -- the loop --------------------------------------------------------------------------
    def _render(self, t: float, dt: float, frame: ControlFrame) -> None:
        try:
            if self.stats.frames + 1 == self.fault_frame:
                raise RuntimeError(f"fault injected into frame {self.fault_frame} (VJ_INJECT_FRAME_FAULT)")
            inputs = self.modulator.step(t, dt, frame.features, frame.params, frame.routes)
            self.renderer.draw(inputs, self.folded.get(frame.style_a), self.folded.get(frame.style_b),
                               frame.blend_mode)
        except Exception:  # the show goes on: keep the last good picture, log the first of a kind
            self.errors["frame"] += 1
            if self.errors["frame"] == 1:
                log.exception("frame failed; showing the last good frame")

    def _present(self, t: float, features: AudioFeatures) -> None:
        lamp = envelope(t, features.beat_t, 0.1)
        if self.stats.frames % max(1, round(HUD_PERIOD * self.config.render.fps)) == 0:
            lines = self.hud_lines()
            for name, presenter in self.presenters.items():
                (self.output if name == "output" else self.preview).make_current()
                presenter.set_panel(lines)
        if self.preview is not None:
            self.preview.make_current()
            self.presenters["preview"].show(self.pipeline.output, self.preview.framebuffer_size, True, lamp)
            self.preview.swap()
        self.output.make_current()
        self.presenters["output"].show(self.pipeline.output, self.output.framebuffer_size, self.hud, lamp)

    def hud_lines(self) -> list[str]:
        frame = self.frame
        features = frame.features if frame else AudioFeatures()
        width, height = self.renderer.internal_size
        status = self.control.status()
        level_db = 20 * math.log10(max(self.analysis.level, 1e-5))
        bars = int(min(max((level_db + 60) / 3, 0), 20))
        return [
            f"{self.stats.fps():5.1f} fps   p50 {self.stats.percentile_ms(50):5.1f} ms   "
            f"p99 {self.stats.percentile_ms(99):5.1f} ms",
            f"render {width}x{height} (scale {self.adaptive.scale:g}) on {self.backend.name}",
            f"tempo {features.bpm:6.1f} BPM  conf {features.confidence:4.2f}  [{features.tempo_source}]",
            f"input {getattr(self.source, 'status', '?')}  [{'#' * bars}{'-' * (20 - bars)}] "
            f"{level_db:5.1f} dB  overruns {self.source.ring.overruns}",
            f"A {frame.style_a if frame else '-'}   B {(frame.style_b if frame else None) or '-'}   "
            f"xfade {frame.params['xfade'] if frame else 0:.2f}   preset {status.get('preset') or '-'}",
            f"late {self.stats.late}  errors {sum(self.errors.values())}  dropped {status['dropped']}  "
            f"rejected {status.get('control_rejected', 0)}",
            *([f"link  peers {status['link_peers']}  {status['link_bpm']:6.1f} BPM  bar "
               f"{status['link_phase']:4.2f} of {self.control.state.beats_per_bar}"]
              if "link_peers" in status else []),
            *([self.outputs.hud_line()] if self.outputs else []),
        ]

    def telemetry_record(self) -> dict:
        frame = self.frame
        features = frame.features if frame else AudioFeatures()
        return {
            "t": time.perf_counter(), "frames": self.stats.frames, "fps": round(self.stats.fps(), 2),
            "p50_ms": round(self.stats.percentile_ms(50), 2), "p99_ms": round(self.stats.percentile_ms(99), 2),
            "frame_ms": self._new_frame_ms(),
            "internal": list(self.renderer.internal_size), "scale": self.adaptive.scale,
            "audio_t": round(features.t, 3), "bpm": round(features.bpm, 2),
            "confidence": round(features.confidence, 3), "tempo_source": features.tempo_source,
            "beats": features.beat_count, "onsets": features.onset_count,
            "input": getattr(self.source, "status", "?"), "level": round(self.analysis.level, 4),
            "hops": self.analysis.hops, "silent_hops": self.analysis.silent_hops,
            "overruns": self.source.ring.overruns,
            "style_a": frame.style_a if frame else None, "style_b": frame.style_b if frame else None,
            "xfade": round(frame.params["xfade"], 3) if frame else 0.0, "hud": self.hud,
            "late": self.stats.late, "errors": dict(self.errors),
            "windows": 1 + (self.preview is not None),
            "recorded": self.recorder.written if self.recorder else 0,
            "record_dropped": self.recorder.dropped if self.recorder else 0,
            "control": self.control.status(),
            "params": {name: round(value, 6) for name, value in self.control.state.snapshot.params.items()},
            "outputs": self.outputs.status(),
        }

    def _new_frame_ms(self) -> list[float]:
        """Intervals (ms) of the frames since the last telemetry record."""
        intervals = self.stats.since(self._logged_frames)
        self._logged_frames = self.stats.frames
        return [round(x * 1000.0, 2) for x in intervals]

    def run(self) -> int:
        """Run the show until Esc, a closed window or --frames; returns the exit code."""
        self.analysis.start()
        self.control.start()
        self.outputs.start()
        budget = 1.0 / self.config.render.fps
        last = time.perf_counter()
        try:
            while not self.quit:
                start = time.perf_counter()
                glfw.poll_events()
                if self.output.should_close:
                    break
                features, _, hops = self.analysis.snapshot()
                t = self.clock.now() + self.config.render.latency
                dt, last = start - last, start
                handled: list[ControlEvent] = []
                self.frame = self.control.step(t, features, handled)
                loads = self._sync_styles()
                size = self.renderer.internal_size
                self._render(t, dt, self.frame)
                self._present(t, self.frame.features)
                if self.journal is not None:
                    session = self.session.last if self.session is not None else None
                    self.journal.add_frame(FrameRecord(self.stats.frames, t, dt, hops, size, handled, loads,
                                                       session))
                self._snapshot()
                if self.recorder is not None or self.outputs:  # one GPU read-back for all of them
                    rgb = self.pipeline.read_rgb()
                    if self.recorder is not None:
                        self.recorder.add_frame(rgb, start)
                    self.outputs.send(rgb)
                work = time.perf_counter() - start
                if self.adaptive.update(work, start):
                    self.renderer.internal_size = internal_size(self.pipeline.size, self.adaptive.scale)
                    log.info("render scale %g (%dx%d)", self.adaptive.scale, *self.renderer.internal_size)
                self.stats.add(dt, work, budget)
                if self.telemetry.due():
                    self.telemetry.write(self.telemetry_record())
                self.output.swap()
                if self.config.frames is not None and self.stats.frames >= self.config.frames:
                    break
                spare = budget - (time.perf_counter() - start)
                if spare > 0:
                    time.sleep(spare)
        finally:
            self.shutdown()
        return 0

    def _snapshot(self) -> None:
        every, folder = self.config.snapshot_every, self.config.snapshots
        if folder is not None and every > 0 and self.stats.frames % every == 0:
            Image.fromarray(self.pipeline.read_rgb()).save(folder / f"frame-{self.stats.frames:06d}.png")

    def shutdown(self) -> None:
        if self.config.screenshot is not None and self.folded:
            self.output.make_current()
            Image.fromarray(self.pipeline.read_rgb()).save(self.config.screenshot)
            log.info("screenshot: %s", self.config.screenshot)
        self.telemetry.write(self.telemetry_record())
        self.telemetry.close()
        self.outputs.close()
        self.control.close()
        self.analysis.stop()
        self.source.close()
        self.loader.close()
        self.backend.close()
        if self.recorder is not None:
            self.recorder.finish()
        if self.journal is not None:
            self.journal.close()
        for window in (self.preview, self.output):
            if window is not None:
                window.destroy()
        glfw.terminate()
