"""Virtual camera output: the picture as a webcam other programs can open, through pyvirtualcam."""

from __future__ import annotations

import logging

import numpy as np

from vjengine.render.outputs.sink import VideoSink

log = logging.getLogger(__name__)


class VirtualCamSink(VideoSink):
    """A virtual camera: v4l2loopback on Linux, OBS Virtual Camera on Windows and macOS.

    `name` picks the device (e.g. /dev/video10); empty picks the first free one.
    """

    kind = "virtualcam"
    module = "pyvirtualcam"
    package = "pyvirtualcam"
    extra = "virtualcam"

    def _open(self, width: int, height: int) -> None:
        import pyvirtualcam

        self._camera = pyvirtualcam.Camera(width, height, self.fps, fmt=pyvirtualcam.PixelFormat.RGB,
                                           device=self.name or None)
        log.info("virtual camera: %s", self._camera.device)

    def _write(self, rgb: np.ndarray) -> bool:
        self._camera.send(rgb)
        return True

    def _close(self) -> None:
        self._camera.close()
