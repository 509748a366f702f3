"""The frame core: control step -> style cache -> modulate -> render -> frame sinks, once per frame.

Live, offline render and replay all drive it (show/live.py, offline.py, replay.py); it needs a GL
context but no window and no sound server, so it runs headless on a ManualClock as well.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable

from vjengine.audio.features import AudioFeatures
from vjengine.control.events import ControlEvent
from vjengine.control.state import ControlFrame, ControlState
from vjengine.modulate import Modulator
from vjengine.render.frame import FrameRenderer
from vjengine.show.sinks import Frame, Sinks
from vjengine.show.styles import StyleCache

log = logging.getLogger(__name__)


class FrameCore:
    """Advances the show one frame at a time (render thread).

    `automation` may replace the controls' frame before it is drawn (the offline render's beat
    swing). With `keep_going` a failing frame is counted and logged once and the last good
    picture stays (the live show); otherwise the error propagates. `fault_frame` N > 0 makes
    frame N (counted from 1) fail, for robustness tests.
    """

    def __init__(self, control: ControlState, styles: StyleCache, renderer: FrameRenderer,
                 sinks: Sinks | None = None,
                 automation: Callable[[ControlFrame], ControlFrame] | None = None,
                 keep_going: bool = False, fault_frame: int = 0):
        self.control = control
        self.styles = styles
        self.renderer = renderer
        self.sinks = sinks if sinks is not None else Sinks()
        self.automation = automation
        self.keep_going = keep_going
        self.fault_frame = fault_frame
        self.modulator = Modulator()
        self.frames = 0
        self.errors: Counter[str] = Counter()
        self.last: ControlFrame | None = None  # the controls of the last frame

    def step(self, t: float, dt: float, features: AudioFeatures, events: Iterable[ControlEvent] = (),
             hops: int = 0, started: float | None = None) -> Frame:
        """The frame at show time t, dt after the previous one: apply `events`, update the
        controls, sync the styles, draw, and hand the frame to the sinks."""
        started = time.perf_counter() if started is None else started
        timer = self.renderer.timer
        with timer.stage("control"):
            handled = []
            for event in events:
                self.control.handle(event)
                handled.append(event)
            control = self.control.update(t, features)
            if self.automation is not None:
                control = self.automation(control)
            self.last = control
            loads = self.styles.sync(self.control)
        size = self.renderer.internal_size
        frame = Frame(self.frames, t, dt, hops, size, handled, loads, control, self._draw(t, dt, control),
                      started, self.renderer.pipeline.read_rgb)
        self.sinks.send(frame, timer)
        self.frames += 1
        return frame

    def _draw(self, t: float, dt: float, control: ControlFrame) -> bool:
        try:
            if self.frames + 1 == self.fault_frame:
                raise RuntimeError(f"fault injected into frame {self.fault_frame} (VJ_INJECT_FRAME_FAULT)")
            with self.renderer.timer.stage("control"):
                inputs = self.modulator.step(t, dt, control.features, control.params, control.routes)
            breeding = self.control.breeding
            if breeding is not None and breeding.active:
                return self.renderer.draw_grid(breeding.children, inputs)
            return self.renderer.draw(inputs, self.styles.get(control.style_a),
                                      self.styles.get(control.style_b), control.blend_mode)
        except Exception:
            if not self.keep_going:
                raise
            self.errors["frame"] += 1  # the show goes on: the last good picture stays
            if self.errors["frame"] == 1:
                log.exception("frame failed; showing the last good frame")
            return False
