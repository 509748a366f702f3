"""The video output command-line options, and the outputs built from them."""

from __future__ import annotations

import argparse
import logging

import numpy as np

from vjengine.errors import InputError
from vjengine.render.outputs.ndi import NdiSink
from vjengine.render.outputs.sink import VideoSink
from vjengine.render.outputs.spout import SpoutSink
from vjengine.render.outputs.syphon import SyphonSink
from vjengine.render.outputs.virtualcam import VirtualCamSink

log = logging.getLogger(__name__)

SINKS: dict[str, type[VideoSink]] = {
    "ndi": NdiSink, "syphon": SyphonSink, "spout": SpoutSink, "virtualcam": VirtualCamSink,
}
MAX_NAME = 200


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add the video output options to a command's parser."""
    group = parser.add_argument_group("outputs", "share the output picture with other programs")
    group.add_argument("--ndi", metavar="NAME",
                       help="publish the output as an NDI source called NAME (receivers list it as "
                            "'HOST (NAME)')")
    group.add_argument("--syphon", metavar="NAME", help="publish the output as a Syphon server (macOS)")
    group.add_argument("--spout", metavar="NAME", help="publish the output as a Spout sender (Windows)")
    group.add_argument("--virtualcam", nargs="?", const="", metavar="DEVICE",
                       help="send the output to a virtual camera (v4l2loopback on Linux, e.g. "
                            "/dev/video10; OBS Virtual Camera elsewhere); no DEVICE: the first free one")


class Outputs:
    """The video sinks of a show (render thread: start, send, status, close)."""

    def __init__(self, sinks: list[VideoSink]):
        self.sinks = sinks

    def __bool__(self) -> bool:
        return bool(self.sinks)

    def start(self) -> None:
        for sink in self.sinks:
            sink.start()

    def send(self, rgb: np.ndarray) -> None:
        """Hand this frame to every sink; never waits for one (render thread)."""
        for sink in self.sinks:
            sink.send(rgb)

    def status(self) -> dict[str, dict[str, object]]:
        return {sink.kind: sink.status() for sink in self.sinks}

    def hud_line(self) -> str:
        return "out " + "   ".join(
            f"{sink.kind} {'sent ' + str(sink.sent) if sink.error is None else 'off'}"
            f" dropped {sink.dropped}" for sink in self.sinks)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


def _name(value: str, option: str) -> str:
    if len(value) > MAX_NAME or any(not ch.isprintable() for ch in value):
        raise InputError(f"{option} {value!r}: expected a printable name of at most {MAX_NAME} characters")
    return value


def build_outputs(args: argparse.Namespace, fps: float) -> Outputs:
    """The sinks the options ask for (not started). One that cannot run here (wrong platform,
    library missing) is left out with one log line: the show goes on without it."""
    sinks = []
    for kind, cls in SINKS.items():
        value = getattr(args, kind, None)
        if value is None:
            continue
        name = _name(value, f"--{kind}")
        if kind != "virtualcam" and not name:
            raise InputError(f"--{kind}: expected a name for the output")
        reason = cls.unavailable()
        if reason is not None:
            log.warning("--%s: %s; this output is off, the show goes on", kind, reason)
            continue
        sinks.append(cls(name, fps))
    return Outputs(sinks)
