"""glfw windows for the show: the output (fullscreen on a chosen monitor) and an optional preview."""

from __future__ import annotations

import logging
from collections.abc import Callable

import glfw
import moderngl

from vjengine.errors import InputError

log = logging.getLogger(__name__)


class DisplayError(InputError):
    """No screen to open a window on; says what to use instead."""


def init_glfw() -> None:
    """Start glfw once; a missing display becomes a one-line DisplayError."""
    errors: list[str] = []
    glfw.set_error_callback(lambda code, text: errors.append(text.decode(errors="replace")))
    if not glfw.init():
        reason = errors[-1] if errors else "glfw.init failed"
        raise DisplayError(f"no display to open a window on ({reason}); to make a video without a "
                           "screen use `vjengine render AUDIO -o OUT.mp4`")
    glfw.set_error_callback(lambda code, text: log.warning("glfw: %s", text.decode(errors="replace")))


def monitors() -> list[tuple[str, tuple[int, int]]]:
    """(name, size) of every connected monitor, in glfw's order."""
    return [(glfw.get_monitor_name(m).decode(errors="replace"), tuple(glfw.get_video_mode(m).size))
            for m in glfw.get_monitors()]


class Window:
    """One glfw window with its own moderngl context; `share` shares textures with another window."""

    def __init__(self, title: str, size: tuple[int, int], monitor: int | None = None,
                 fullscreen: bool = False, vsync: bool = True, share: "Window | None" = None):
        glfw.window_hint(glfw.CONTEXT_VERSION_MAJOR, 3)
        glfw.window_hint(glfw.CONTEXT_VERSION_MINOR, 3)
        glfw.window_hint(glfw.OPENGL_PROFILE, glfw.OPENGL_CORE_PROFILE)
        glfw.window_hint(glfw.OPENGL_FORWARD_COMPAT, True)
        self._monitors = glfw.get_monitors()
        if monitor is not None and not 0 <= monitor < len(self._monitors):
            raise InputError(f"--monitor {monitor}: no such monitor (found {len(self._monitors)})")
        self.monitor_index = monitor if monitor is not None else 0
        self.windowed_size = size
        target = self._monitors[self.monitor_index] if fullscreen and self._monitors else None
        if target is not None:
            size = tuple(glfw.get_video_mode(target).size)
        self.handle = glfw.create_window(size[0], size[1], title, target,
                                         share.handle if share else None)
        if not self.handle:
            raise DisplayError(f"could not open a {size[0]}x{size[1]} OpenGL 3.3 window; to make a video "
                               "without a screen use `vjengine render AUDIO -o OUT.mp4`")
        self.fullscreen = target is not None
        self.make_current()
        glfw.swap_interval(1 if vsync else 0)
        self.ctx = moderngl.create_context(require=330)
        self.on_key: Callable[[int, int], None] | None = None
        glfw.set_key_callback(self.handle, self._key)

    def _key(self, handle, key, scancode, action, mods) -> None:
        if action == glfw.PRESS and self.on_key is not None:
            self.on_key(key, mods)

    def make_current(self) -> None:
        glfw.make_context_current(self.handle)

    @property
    def framebuffer_size(self) -> tuple[int, int]:
        return tuple(glfw.get_framebuffer_size(self.handle))

    @property
    def should_close(self) -> bool:
        return bool(glfw.window_should_close(self.handle))

    def close(self) -> None:
        glfw.set_window_should_close(self.handle, True)

    def toggle_fullscreen(self) -> None:
        """Between fullscreen on the chosen monitor and the windowed size."""
        if self.fullscreen:
            glfw.set_window_monitor(self.handle, None, 100, 100, *self.windowed_size, glfw.DONT_CARE)
        elif self._monitors:
            target = self._monitors[self.monitor_index]
            mode = glfw.get_video_mode(target)
            glfw.set_window_monitor(self.handle, target, 0, 0, *mode.size, mode.refresh_rate)
        self.fullscreen = not self.fullscreen

    def swap(self) -> None:
        glfw.swap_buffers(self.handle)

    def destroy(self) -> None:
        self.ctx.release()
        glfw.destroy_window(self.handle)
