"""An NDI receiver in a process of its own (a test can freeze it): keeps the last frame and counts.

python -m tests.ndi_receiver NAME OUT_DIR connects to the first source whose name contains NAME
and, every 0.2 s, writes OUT_DIR/frame.npy (the last picture, RGB) and OUT_DIR/status.json
(frames received, transport latency from the sender's timestamp to here). Stops on SIGTERM.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
from cyndilib.finder import Finder
from cyndilib.receiver import ReceiveFrameType, Receiver
from cyndilib.video_frame import VideoRecvFrame
from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def main(name: str, out: Path) -> None:
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    finder = Finder()
    finder.open()
    source = None
    while source is None and not stopping:
        finder.wait_for_sources(0.5)
        source = next((s for s in finder.get_source_names() if name in s), None)
    receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
    frame = VideoRecvFrame()
    receiver.set_video_frame(frame)
    receiver.set_source(finder.get_source(source))
    frames, latencies, picture, flushed = 0, [], None, 0.0
    while not stopping:
        if receiver.receive(ReceiveFrameType.recv_video, 100) & ReceiveFrameType.recv_video:
            latencies.append(time.time() - frame.get_timestamp_posix())
            width, height = frame.get_resolution()
            data = np.empty(frame.get_buffer_size(), dtype=np.uint8)
            if frame.fill_p_data(data):
                frames += 1
                picture = data.reshape(height, frame.get_line_stride() // 4, 4)[:, :width, :3]
        if picture is not None and time.monotonic() - flushed > 0.2:
            flushed = time.monotonic()
            buffer = io.BytesIO()
            np.save(buffer, picture)
            write_atomic(out / "frame.npy", buffer.getvalue())
            status = {"frames": frames, "source": source,
                      "latency_ms": [round(1000 * x, 3) for x in latencies[-100:]]}
            write_atomic(out / "status.json", json.dumps(status).encode())
    receiver.disconnect()
    finder.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
