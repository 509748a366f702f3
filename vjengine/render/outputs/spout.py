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

        self._sender = SpoutGL.SpoutSender()
        self._sender.setSenderName(self.name)

    def _write(self, rgb: np.ndarray) -> bool:
        from SpoutGL.enums import GL_RGB

        height, width = rgb.shape[:2]
        ok = self._sender.sendImage(np.ascontiguousarray(rgb), width, height, GL_RGB, False, 0)
        self._sender.setFrameSync(self.name)
        return bool(ok)

    def _close(self) -> None:
        self._sender.releaseSender()
