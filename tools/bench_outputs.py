"""Benchmark of the video outputs: what sharing the picture costs the render loop, and NDI's
latency and picture error to a receiver on this machine.

    python tools/bench_outputs.py [--size 1280x720] [--fps 60] [--seconds 5] [--json OUT]

The render thread's cost per frame is the GPU read-back (read_rgb) plus handing the frame to the
sink; the NDI sender thread's cost (RGB -> RGBX and NDI's compression) and the lag from hand-over
to sent come from the sink's counters. A cyndilib receiver in a child process, as a receiving
program would be, found through an NDI config file naming 127.0.0.1 (no Avahi needed), gives the
transport latency (the sender's NDI timestamp to the received frame) and the error of the
received picture against the one sent.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from vjengine.cli import parse_size


def cppn_picture(width: int, height: int) -> np.ndarray:
    """A seeded CPPN's picture at a quarter of the size: what the pipeline upscales live."""
    import torch

    from vjengine.model import conditioning
    from vjengine.model.coords import grid
    from vjengine.model.cppn import CPPN

    small = (max(width // 4, 16), max(height // 4, 16))
    with torch.no_grad():
        rgb = CPPN(seed=7)(grid(*small), conditioning.rest_state())
    return (rgb.reshape(small[1], small[0], 3).numpy() * 255 + 0.5).astype(np.uint8)


def percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values) * 1000.0
    return {"p50": round(float(np.percentile(array, 50)), 3), "p99": round(float(np.percentile(array, 99)), 3)}


def receive(source_name: str, seconds: float, results) -> None:
    """Child process: an NDI receiver for the source; puts (latencies, frames, last picture).

    It runs in a process of its own because cyndilib's receive() holds the GIL while it waits.
    """
    from cyndilib.finder import Finder
    from cyndilib.receiver import ReceiveFrameType, Receiver
    from cyndilib.video_frame import VideoRecvFrame
    from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat

    finder = Finder()
    finder.open()
    source = None
    while source is None:
        finder.wait_for_sources(0.5)
        source = next((s for s in finder.get_source_names() if source_name in s), None)
    receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
    frame = VideoRecvFrame()
    receiver.set_video_frame(frame)
    receiver.set_source(finder.get_source(source))
    latencies, frames, picture = [], 0, None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if receiver.receive(ReceiveFrameType.recv_video, 100) & ReceiveFrameType.recv_video:
            latency = time.time() - frame.get_timestamp_posix()
            width, height = frame.get_resolution()
            data = np.empty(frame.get_buffer_size(), dtype=np.uint8)
            if frame.fill_p_data(data):
                frames += 1
                if frames > 10:  # past the connection's start
                    latencies.append(latency)
                picture = data.reshape(height, frame.get_line_stride() // 4, 4)[:, :width, :3].copy()
    receiver.disconnect()
    finder.close()
    results.put((latencies, frames, picture))


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
    spawn = multiprocessing.get_context("spawn")
    results = spawn.Queue()
    receiver = spawn.Process(target=receive, args=(name, args.seconds + 0.5, results))
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
    latencies, received, picture = results.get(timeout=30)
    receiver.join(5)
    status = sink.status()
    sink.close()
    error = np.abs(picture.astype(int) - sent.astype(int)) if picture is not None else None
    result = {
        "size": f"{width}x{height}", "fps": args.fps, "frames": len(reads),
        "render_thread_ms": {"read_rgb": percentiles(reads), "send": percentiles(hands)},
        "ndi_sender": status, "received": received,
        "ndi_latency_ms": percentiles(latencies) if latencies else None,
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
