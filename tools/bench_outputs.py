"""Benchmark of the video outputs: what sharing the picture costs the render loop, and NDI's
latency and picture error to a receiver on this machine.

    python tools/bench_outputs.py [--size 1280x720] [--fps 60] [--seconds 5] [--json OUT]

The render thread's cost per frame is the GPU read-back (read_rgb) plus handing the frame to the
sink; the NDI sender thread's cost (RGB -> RGBX and NDI's compression) and the lag from hand-over
to sent come from the sink's counters. A cyndilib receiver in this process, found through an NDI
config file naming 127.0.0.1 (no Avahi needed), gives the transport latency (the sender's NDI
timestamp to the received frame) and the error of the received picture against the one sent.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch

from vjengine.cli import parse_size
from vjengine.model import conditioning
from vjengine.model.coords import grid
from vjengine.model.cppn import CPPN


def cppn_picture(width: int, height: int) -> np.ndarray:
    """A seeded CPPN's picture at a quarter of the size: what the pipeline upscales live."""
    small = (max(width // 4, 16), max(height // 4, 16))
    with torch.no_grad():
        rgb = CPPN(seed=7)(grid(*small), conditioning.rest_state())
    return (rgb.reshape(small[1], small[0], 3).numpy() * 255 + 0.5).astype(np.uint8)


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(array, 50)), 3), "p99": round(float(np.percentile(array, 99)), 3)}


class Receiver(threading.Thread):
    """An NDI receiver for the sink's source: transport latency and the last frame."""

    def __init__(self, source_name: str):
        super().__init__(daemon=True)
        self.source_name = source_name
        self.latencies: list[float] = []
        self.picture: np.ndarray | None = None
        self.frames = 0
        self.stop = threading.Event()

    def run(self) -> None:
        from cyndilib.finder import Finder
        from cyndilib.receiver import ReceiveFrameType
        from cyndilib.receiver import Receiver as NdiReceiver
        from cyndilib.video_frame import VideoRecvFrame
        from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat

        finder = Finder()
        finder.open()
        source = None
        while source is None and not self.stop.is_set():
            finder.wait_for_sources(0.5)
            source = next((s for s in finder.get_source_names() if self.source_name in s), None)
        receiver = NdiReceiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
        frame = VideoRecvFrame()
        receiver.set_video_frame(frame)
        receiver.set_source(finder.get_source(source))
        while not self.stop.is_set():
            if receiver.receive(ReceiveFrameType.recv_video, 100) & ReceiveFrameType.recv_video:
                latency = time.time() - frame.get_timestamp_posix()
                width, height = frame.get_resolution()
                data = np.empty(frame.get_buffer_size(), dtype=np.uint8)
                if frame.fill_p_data(data):
                    self.frames += 1
                    if self.frames > 10:  # past the connection's start
                        self.latencies.append(latency)
                    stride = frame.get_line_stride() // 4
                    self.picture = data.reshape(height, stride, 4)[:, :width, :3].copy()
        receiver.disconnect()
        finder.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(1280, 720))
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    config_dir = Path(tempfile.mkdtemp(prefix="ndi-config-"))
    (config_dir / "ndi-config.v1.json").write_text(
        json.dumps({"ndi": {"networks": {"ips": "127.0.0.1", "discovery": ""}}}))
    os.environ.setdefault("NDI_CONFIG_DIR", str(config_dir))

    import cyndilib  # noqa: F401 (imported here once: the sender and receiver threads both use it)

    from vjengine.modulate import PostParams
    from vjengine.render.gl import Pipeline, create_offscreen_context
    from vjengine.render.outputs.ndi import NdiSink

    width, height = args.size
    ctx = create_offscreen_context()
    pipeline = Pipeline(ctx, (width, height))
    pipeline.upload("a", cppn_picture(width, height))
    pipeline.draw(0.0, PostParams())
    name = f"bench-{os.getpid()}"
    sink = NdiSink(name, args.fps)
    sink.start()
    receiver = Receiver(name)
    receiver.start()
    reads, hands, sent = [], [], None
    end = time.perf_counter() + args.seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        rgb = pipeline.read_rgb()
        read = time.perf_counter()
        sink.send(rgb)
        handed = time.perf_counter()
        reads.append(read - start)
        hands.append(handed - read)
        sent = rgb
        time.sleep(max(0.0, 1.0 / args.fps - (time.perf_counter() - start)))
    time.sleep(0.5)
    receiver.stop.set()
    receiver.join(5)
    status = sink.status()
    sink.close()
    error = np.abs(receiver.picture.astype(int) - sent.astype(int)) if receiver.picture is not None else None
    result = {
        "size": f"{width}x{height}", "fps": args.fps, "frames": len(reads),
        "render_thread_ms": {"read_rgb": percentiles(reads), "send": percentiles(hands)},
        "ndi_sender": status, "received": receiver.frames,
        "ndi_latency_ms": percentiles(receiver.latencies) if receiver.latencies else None,
        "picture_error": None if error is None else {
            "max": int(error.max()), "mean": round(float(error.mean()), 3),
            "p99": float(np.percentile(error, 99))},
    }
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
