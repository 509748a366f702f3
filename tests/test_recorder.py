"""The recording's size: chosen, or the output's scaled down to RECORD_WIDTH."""

import pytest

from vjengine.config import EngineConfig
from vjengine.errors import InputError
from vjengine.render.recorder import RECORD_WIDTH, record_size


@pytest.mark.unit
@pytest.mark.parametrize(("output", "chosen", "expected"), [
    ((1280, 720), None, (640, 360)),
    ((1920, 1080), None, (640, 360)),
    ((1024, 768), None, (640, 480)),
    ((320, 180), None, (320, 180)),  # never scaled up
    ((1280, 720), (1280, 720), (1280, 720)),
])
def test_record_size_is_the_chosen_or_the_output_scaled_to_the_record_width(output, chosen, expected):
    size = record_size(output, chosen)
    assert size == expected and size[0] <= max(RECORD_WIDTH, output[0]) and size[0] % 2 == size[1] % 2 == 0


@pytest.mark.unit
def test_record_size_in_a_config_is_checked():
    assert EngineConfig(record_size=[480, 270]).record_size == (480, 270)
    with pytest.raises(InputError, match="641x360: h264 needs even"):
        EngineConfig(record_size=(641, 360))
    with pytest.raises(InputError, match="expected"):
        EngineConfig(record_size=(8, 8))


def test_stopping_after_a_long_show_takes_well_under_two_seconds(tmp_path):
    """The audio is encoded while the show runs: stopping after five minutes only copies streams."""
    import subprocess
    import time

    import numpy as np

    from vjengine.render.recorder import Recorder

    recorder = Recorder(tmp_path / "long.mp4", (160, 90), 30.0, 44100)
    rng = np.random.default_rng(0)
    hop = (rng.standard_normal(512) * 0.2).astype(np.float32)
    frame = rng.integers(0, 255, (90, 160, 3), dtype=np.uint8)
    hops = 300 * 44100 // 512
    for i in range(hops):
        recorder.add_audio(hop)
        if i % 86 == 0:  # a frame a second (the writer repeats it up to 30 fps)
            while not recorder.add_frame(frame, i * 512 / 44100):
                time.sleep(0.01)
    while not recorder.add_frame(frame, hops * 512 / 44100):
        time.sleep(0.01)
    while recorder._frames.qsize() or recorder._audio.qsize():  # the show goes on meanwhile
        time.sleep(0.05)
    started = time.monotonic()
    recorder.finish()
    assert time.monotonic() - started < 2.0
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,duration",
                            "-of", "csv=p=0", str(tmp_path / "long.mp4")], capture_output=True, text=True,
                           check=True)
    durations = dict(line.split(",") for line in probe.stdout.split())
    assert abs(float(durations["aac"]) - 300) < 0.5 and abs(float(durations["h264"]) - 300) < 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["long.mp4"]


def test_a_full_queue_drops_and_counts_the_frame_without_reading_it(tmp_path):
    import numpy as np

    from vjengine.render.recorder import Recorder

    recorder = Recorder(tmp_path / "busy.mp4", (1280, 720), 30.0, 44100, queue_frames=1)
    noise = np.random.default_rng(0).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
    reads = []
    try:
        for i in range(100):  # far faster than x264 on one thread takes 720p noise
            recorder.add_frame(lambda: reads.append(1) or noise, i / 30)
    finally:
        recorder.abort()
    assert recorder.dropped > 0 and len(reads) == 100 - recorder.dropped
    assert list(tmp_path.iterdir()) == []


@pytest.mark.unit
def test_a_recorder_that_cannot_start_leaves_no_file(tmp_path, monkeypatch):
    """Without ffmpeg the recording is refused in one line, and its temporary audio file goes too."""
    from vjengine.render.encoder import EncoderError
    from vjengine.render.recorder import Recorder

    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    shows = tmp_path / "shows"
    shows.mkdir()
    with pytest.raises(EncoderError, match="ffmpeg is not installed"):
        Recorder(shows / "show.mp4", (64, 36), 30.0, 44100)
    assert list(shows.iterdir()) == []
