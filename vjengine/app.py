"""Engine: wires the live threads (audio, analysis, style loading) to the render loop and supervises."""

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
from vjengine.audio.filesource import LoopInput, decode
from vjengine.config import EngineConfig
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.control.params import SPECS, ParamState
from vjengine.demo import demo_track
from vjengine.errors import InputError
from vjengine.modulate import envelope
from vjengine.render.adaptive import AdaptiveScale
from vjengine.render.evaluate import make_backend
from vjengine.render.frame import FrameRenderer, StylePair
from vjengine.render.gl import Pipeline
from vjengine.render.hud import Presenter
from vjengine.render.offline import internal_size
from vjengine.render.recorder import Recorder
from vjengine.render.window import Window, init_glfw
from vjengine.styles.loader import StyleLoader
from vjengine.styles.store import Style, StyleError, list_styles
from vjengine.telemetry import FrameStats, TelemetryLog

log = logging.getLogger(__name__)

KEYS = {
    glfw.KEY_ESCAPE: ("quit", None), glfw.KEY_H: ("hud", None), glfw.KEY_F: ("fullscreen", None),
    glfw.KEY_R: ("shaders/reload", None), glfw.KEY_SPACE: ("tap", None),
    glfw.KEY_LEFT_BRACKET: ("xfade/nudge", -0.1), glfw.KEY_RIGHT_BRACKET: ("xfade/nudge", 0.1),
    **{glfw.KEY_1 + i: ("slot", i + 1) for i in range(9)},
}
HUD_PERIOD = 0.125


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

    def __init__(self, config: EngineConfig):
        self.config = config
        render = config.render
        slugs = [s.slug for s in list_styles(config.styles_dir) if isinstance(s, Style)]
        if not slugs:
            raise InputError(f"{config.styles_dir}: no loadable styles (make one with `vjengine train`)")
        self.slots = slugs[:9]
        self.backend = make_backend(render.backend)  # before any GL context (see vjengine.render)
        init_glfw()
        self.output = Window("vjengine", render.size, render.monitor, render.fullscreen, render.vsync)
        self.preview = Window("vjengine preview", (640, 360), vsync=False, share=self.output) \
            if render.preview else None
        self.output.make_current()
        self.pipeline = Pipeline(self.output.ctx, self.output.framebuffer_size)
        self.presenters = {"output": Presenter(self.output.ctx)}
        if self.preview is not None:
            self.presenters["preview"] = Presenter(self.preview.ctx)
            self.output.make_current()
        self.adaptive = AdaptiveScale(render.fps, render.render_scale, enabled=render.adaptive)
        self.renderer = FrameRenderer(self.backend, self.pipeline,
                                      internal_size(self.pipeline.size, self.adaptive.scale))
        self.bus = ControlBus()
        for window in (self.output, self.preview):
            if window is not None:
                window.on_key = self._key
        self.params = ParamState(config.params)
        self.params.jump()
        self.source = open_audio(config)
        # Beats must be known `latency` early for a picture rendered that far ahead to land on them.
        analysis = AnalysisConfig(samplerate=config.audio.samplerate,
                                  beat_lookahead=min(max(render.latency, 0.0), MAX_BEAT_LOOKAHEAD))
        self.analysis = AnalysisThread(self.source, Analyzer(analysis), gain=config.audio.gain)
        self.loader = StyleLoader(config.styles_dir)
        self.names = {"a": config.style_a or self.slots[0], "b": config.style_b}
        self.styles: dict[str, Style] = {}
        self.prepared: dict[str, object] = {}
        for slot, slug in self.names.items():
            if slug:
                self.loader.request(slot, slug)
        self.stats = FrameStats()
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

    # -- control ---------------------------------------------------------------------------
    def _key(self, key: int, mods: int) -> None:
        if key in KEYS:
            target, value = KEYS[key]
            self.bus.put(ControlEvent(target, value, source="key", t=time.perf_counter()))

    def handle(self, event: ControlEvent) -> None:
        """Apply one ControlEvent (render thread); bad values are dropped and counted, never raised."""
        target, value = event.target, event.value
        try:
            if target == "quit":
                self.quit = True
            elif target == "hud":
                self.hud = not self.hud
            elif target == "fullscreen":
                self.output.toggle_fullscreen()
            elif target == "shaders/reload":
                self.pipeline.reload_shaders()
            elif target == "slot":
                slug = self.slots[int(value) - 1]
                self.loader.request("a", slug)
            elif target == "xfade/nudge":
                self.params.set("xfade", self.params.target["xfade"] + float(value))
            elif target.startswith("param/") and target[6:] in SPECS:
                self.params.set(target[6:], float(value))
            else:
                self.errors["unhandled event"] += 1
        except (ValueError, TypeError, IndexError) as exc:
            self.errors["bad event"] += 1
            log.debug("dropped %s: %s", event, exc)

    def _take_loaded_styles(self) -> None:
        for slot, slug, result in self.loader.results():
            if isinstance(result, StyleError):
                self.errors["style load"] += 1
                log.error("style %s not loaded, keeping %s: %s", slug,
                          self.styles[slot].slug if slot in self.styles else "nothing", result)
                continue
            self.styles[slot] = result
            self.prepared[slot] = self.backend.prepare(result)
            self.names[slot] = slug
            self.loader.watch(slot, result)
            log.info("style %s: %s", slot.upper(), slug)

    # -- the loop --------------------------------------------------------------------------
    def _style_pair(self) -> StylePair | None:
        a = self.prepared.get("a")
        return StylePair(a, self.prepared.get("b")) if a is not None else None

    def _render(self, t: float, dt: float, features) -> None:
        styles = self._style_pair()
        if styles is None:
            return
        try:
            if self.stats.frames + 1 == self.fault_frame:
                raise RuntimeError(f"fault injected into frame {self.fault_frame} (VJ_INJECT_FRAME_FAULT)")
            self.renderer.render(t, dt, features, self.params.advance(dt), styles)
        except Exception:  # the show goes on: keep the last good picture, log the first of a kind
            self.errors["frame"] += 1
            if self.errors["frame"] == 1:
                log.exception("frame failed; showing the last good frame")

    def _present(self, t: float, features) -> None:
        lamp = envelope(t, features.beat_t, 0.1)
        if self.stats.frames % max(1, round(HUD_PERIOD * self.config.render.fps)) == 0:
            lines = self.hud_lines(features)
            for name, presenter in self.presenters.items():
                (self.output if name == "output" else self.preview).make_current()
                presenter.set_panel(lines)
        if self.preview is not None:
            self.preview.make_current()
            self.presenters["preview"].show(self.pipeline.output, self.preview.framebuffer_size, True, lamp)
            self.preview.swap()
        self.output.make_current()
        self.presenters["output"].show(self.pipeline.output, self.output.framebuffer_size, self.hud, lamp)

    def hud_lines(self, features) -> list[str]:
        width, height = self.renderer.internal_size
        source = self.source
        level_db = 20 * math.log10(max(self.analysis.level, 1e-5))
        bars = int(min(max((level_db + 60) / 3, 0), 20))
        meter = "#" * bars + "-" * (20 - bars)
        return [
            f"{self.stats.fps():5.1f} fps   p50 {self.stats.percentile_ms(50):5.1f} ms   "
            f"p99 {self.stats.percentile_ms(99):5.1f} ms",
            f"render {width}x{height} (scale {self.adaptive.scale:g}) on {self.backend.name}",
            f"tempo {features.bpm:6.1f} BPM  conf {features.confidence:4.2f}  [{features.tempo_source}]",
            f"input {getattr(source, 'status', '?')}  [{meter}] {level_db:5.1f} dB  "
            f"overruns {source.ring.overruns}",
            f"style A {self.names.get('a')}   B {self.names.get('b') or '-'}   "
            f"xfade {self.params.current['xfade']:.2f}",
            f"late {self.stats.late}  errors {sum(self.errors.values())}  "
            f"dropped {self.bus.dropped + (self.recorder.dropped if self.recorder else 0)}",
        ]

    def telemetry_record(self, features) -> dict:
        return {
            "t": time.perf_counter(), "frames": self.stats.frames, "fps": round(self.stats.fps(), 2),
            "p50_ms": round(self.stats.percentile_ms(50), 2), "p99_ms": round(self.stats.percentile_ms(99), 2),
            "internal": list(self.renderer.internal_size), "scale": self.adaptive.scale,
            "audio_t": round(features.t, 3), "bpm": round(features.bpm, 2),
            "confidence": round(features.confidence, 3), "tempo_source": features.tempo_source,
            "beats": features.beat_count, "onsets": features.onset_count,
            "input": getattr(self.source, "status", "?"), "level": round(self.analysis.level, 4),
            "hops": self.analysis.hops, "silent_hops": self.analysis.silent_hops,
            "overruns": self.source.ring.overruns, "style_a": self.names.get("a"),
            "style_b": self.names.get("b"), "xfade": round(self.params.current["xfade"], 3),
            "hud": self.hud, "late": self.stats.late, "errors": dict(self.errors),
            "windows": 1 + (self.preview is not None),
            "recorded": self.recorder.written if self.recorder else 0,
            "record_dropped": self.recorder.dropped if self.recorder else 0,
        }

    def run(self) -> int:
        """Run the show until Esc, a closed window or --frames; returns the exit code."""
        self.analysis.start()
        budget = 1.0 / self.config.render.fps
        last = time.perf_counter()
        try:
            while not self.quit:
                start = time.perf_counter()
                glfw.poll_events()
                if self.output.should_close:
                    break
                for event in self.bus.drain():
                    self.handle(event)
                self._take_loaded_styles()
                features, published = self.analysis.latest()
                t = features.t + (start - published) + self.config.render.latency
                dt, last = start - last, start
                self._render(t, dt, features)
                self._present(t, features)
                if self.recorder is not None:
                    self.recorder.add_frame(self.pipeline.read_rgb(), start)
                work = time.perf_counter() - start
                if self.adaptive.update(work, start):
                    self.renderer.internal_size = internal_size(self.pipeline.size, self.adaptive.scale)
                    log.info("render scale %g (%dx%d)", self.adaptive.scale, *self.renderer.internal_size)
                self.stats.add(dt, work, budget)
                if self.telemetry.due():
                    self.telemetry.write(self.telemetry_record(features))
                self.output.swap()
                if self.config.frames is not None and self.stats.frames >= self.config.frames:
                    break
                spare = budget - (time.perf_counter() - start)
                if spare > 0:
                    time.sleep(spare)
        finally:
            self.shutdown()
        return 0

    def shutdown(self) -> None:
        features, _ = self.analysis.latest()
        if self.config.screenshot is not None and self.prepared:
            self.output.make_current()
            Image.fromarray(self.pipeline.read_rgb()).save(self.config.screenshot)
            log.info("screenshot: %s", self.config.screenshot)
        self.telemetry.write(self.telemetry_record(features))
        self.telemetry.close()
        self.analysis.stop()
        self.source.close()
        self.loader.close()
        if self.recorder is not None:
            self.recorder.finish()
        for window in (self.preview, self.output):
            if window is not None:
                window.destroy()
        glfw.terminate()
