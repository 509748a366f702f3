"""Syphon output (macOS): the picture as a Syphon server through syphon-python's Metal server."""

from __future__ import annotations

import numpy as np

from vjengine.render.outputs.sink import VideoSink


class SyphonSink(VideoSink):
    """A Syphon Metal server named `name`; each frame is copied into one RGBA Metal texture."""

    kind = "syphon"
    module = "syphon"
    package = "syphon-python"
    extra = "syphon"
    platforms = {"darwin": "macOS"}

    def _open(self, width: int, height: int) -> None:
        import syphon
        from syphon.utils.numpy import copy_image_to_mtl_texture
        from syphon.utils.raw import create_mtl_texture

        self._server = syphon.SyphonMetalServer(self.name)
        self._texture = create_mtl_texture(self._server.device, width, height)
        self._copy = copy_image_to_mtl_texture
        self._rgba = np.full((height, width, 4), 255, dtype=np.uint8)

    def _write(self, rgb: np.ndarray) -> bool:
        self._rgba[..., :3] = rgb
        self._copy(self._rgba, self._texture)
        self._server.publish_frame_texture(self._texture)
        return True

    def _close(self) -> None:
        self._server.stop()
