"""The stage: the show's windows (output and preview), what they present, and keys as control events."""

from __future__ import annotations

from collections.abc import Callable

import glfw
import moderngl

from vjengine.clock import Clock
from vjengine.config import RenderConfig
from vjengine.control import events
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.render.hud import Presenter
from vjengine.render.timing import StageTimer
from vjengine.render.window import Window, init_glfw

SHOW_KEYS = {  # keys that control the show go through the control path, like OSC and MIDI
    glfw.KEY_SPACE: (events.TAP, None),
    glfw.KEY_B: (events.BREED, None),  # breed mode on/off; then keys 1-9 pick a child
    glfw.KEY_LEFT_BRACKET: (events.param_target("xfade", "nudge"), -0.05),
    glfw.KEY_RIGHT_BRACKET: (events.param_target("xfade", "nudge"), 0.05),
    **{glfw.KEY_1 + i: (events.SLOT, i + 1) for i in range(9)},
}


class Stage:
    """Construct on the main thread (glfw needs it); `ctx` is the output window's GL context.

    Esc quits, H toggles the HUD, F fullscreen, R calls `on_reload`; show keys go on the bus,
    stamped with `clock`.
    """

    def __init__(self, render: RenderConfig, bus: ControlBus, clock: Clock):
        self.bus = bus
        self.clock = clock
        init_glfw()  # (triton is loaded before any GL context exists: see vjengine.render)
        self.output = Window("vjengine", render.size, render.monitor, render.fullscreen, render.vsync)
        self.preview = Window("vjengine preview", (640, 360), vsync=False, share=self.output) \
            if render.preview else None
        self.output.make_current()
        self.ctx: moderngl.Context = self.output.ctx
        self.presenters = {"output": Presenter(self.output.ctx)}
        if self.preview is not None:  # made in its own context: VAOs are not shared between contexts
            self.preview.make_current()
            self.presenters["preview"] = Presenter(self.preview.ctx)
            self.output.make_current()
        for window in self.windows:
            window.on_key = self._key
        self.hud = render.hud
        self.quit = False
        self.on_reload: Callable[[], object] = lambda: None

    @property
    def windows(self) -> list[Window]:
        return [window for window in (self.output, self.preview) if window is not None]

    def _key(self, key: int, mods: int) -> None:
        """Window keys (main thread): window actions here, show controls onto the control bus."""
        if key == glfw.KEY_ESCAPE:
            self.quit = True
        elif key == glfw.KEY_H:
            self.hud = not self.hud
        elif key == glfw.KEY_F:
            self.output.toggle_fullscreen()
        elif key == glfw.KEY_R:
            self.on_reload()
        elif key in SHOW_KEYS:
            target, value = SHOW_KEYS[key]
            self.bus.put(ControlEvent(target, value, source="key", t=self.clock.now()))

    def poll(self) -> bool:
        """Handle window events; False once the show should stop (Esc, a closed window)."""
        glfw.poll_events()
        return not (self.quit or self.output.should_close)

    def present(self, picture: moderngl.Texture, lamp: float, hud_lines: list[str] | None = None,
                timer: StageTimer | None = None, mode: str = "bilinear") -> None:
        """Draw the picture in every window (present.frag in `mode`; the HUD on the preview, and
        on the output when shown); new HUD text when `hud_lines` is given. The output is swapped
        by `swap`."""
        timer = timer if timer is not None else StageTimer()
        if hud_lines is not None:
            with timer.stage("hud"):
                for name, presenter in self.presenters.items():
                    (self.output if name == "output" else self.preview).make_current()
                    presenter.set_panel(hud_lines)
        if self.preview is not None:
            self.preview.make_current()
            self.presenters["preview"].show(picture, self.preview.framebuffer_size, True, lamp, timer, mode)
            with timer.stage("swap"):
                self.preview.swap()
        self.output.make_current()
        self.presenters["output"].show(picture, self.output.framebuffer_size, self.hud, lamp, timer, mode)

    def swap(self) -> None:
        self.output.swap()

    def close(self) -> None:
        for window in reversed(self.windows):
            window.destroy()
        glfw.terminate()
