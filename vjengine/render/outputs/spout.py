"""Spout output (Windows): the picture as a Spout sender through SpoutGL."""

from __future__ import annotations

import numpy as np

from vjengine.render.outputs.sink import VideoSink


class SpoutSink(VideoSink):
    """A Spout sender named `name`, fed RGB pixels (Spout makes its own OpenGL context on this thread)."""

    kind = "spout"
    module = "SpoutGL"
    package = "SpoutGL"
    extra = "spout"
    platforms = {"win32": "Windows"}

    def _open(self, width: int, height: int) -> None:
        import SpoutGL
        from SpoutGL.enums import GL_RGB

        self._sender = SpoutGL.SpoutSender()
        self._sender.setSenderName(self.name)
        self._format = GL_RGB

    def _write(self, rgb: np.ndarray) -> bool:
        height, width = rgb.shape[:2]
        ok = self._sender.sendImage(np.ascontiguousarray(rgb), width, height, self._format, False, 0)
        self._sender.setFrameSync(self.name)
        return bool(ok)

    def _close(self) -> None:
        self._sender.releaseSender()
