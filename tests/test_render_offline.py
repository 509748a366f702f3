"""`vjengine render` end to end: real ffmpeg, real EGL, a generated track with known onsets."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import need_program
from vjengine.demo import SAMPLERATE, kick, write_wav

FPS = 25
SIZE = (192, 108)
HITS = np.array([0.6, 1.1, 1.9, 2.2, 3.0, 3.7, 4.3])  # irregular, so a steady pulse cannot fake it


@pytest.fixture(scope="module")
def hits_track(tmp_path_factory):
    seconds = 5.0
    samples = np.zeros(int(seconds * SAMPLERATE), np.float32)
    sound = kick()
    for t in HITS:
        start = int(t * SAMPLERATE)
        samples[start:start + len(sound)] += 0.8 * sound[:len(samples) - start]
    return write_wav(tmp_path_factory.mktemp("audio") / "hits.wav", samples), seconds


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=300)


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                          "stream=codec_name,codec_type,duration,nb_frames", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def frames(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, SIZE[1], SIZE[0], 3).astype(np.float32)


def test_render_writes_h264_aac_that_follows_the_onsets(make_style, hits_track, tmp_path):
    need_program("ffmpeg")
    need_program("ffprobe")
    # The tracker finds a pulse even in irregular hits; a picture turning with that beat's phase
    # would change as much between the hits as on them, so the style ignores the beat phase.
    make_style("hits", seed=8, deaf_to=("beat_sin", "beat_cos"))
    audio, seconds = hits_track
    out = tmp_path / "hits.mp4"
    # No beat flash or zoom pulse either: the hits are irregular on purpose, so the tracker's beats
    # fall between them and would make picture changes that are not the onsets this test follows.
    result = run_cli("render", str(audio), "-o", str(out), "--style", "hits",
                     "--styles", str(tmp_path / "styles"), "--size", f"{SIZE[0]}x{SIZE[1]}",
                     "--fps", str(FPS), "--render-scale", "0.5", "--param", "flash=0",
                     "--param", "beat_zoom=0", "-q")
    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o644  # readable by others, like any file one writes
    streams = probe(out)
    assert streams["video"]["codec_name"] == "h264" and streams["audio"]["codec_name"] == "aac"
    assert abs(float(streams["video"]["duration"]) - seconds) <= 1.0 / FPS
    video = frames(out)
    change = np.abs(np.diff(video, axis=0)).mean(axis=(1, 2, 3))
    assert change.max() > 2.0 and video[0].std() > 5
    # Frames within 80 ms after a hit change far more than the rest.
    times = np.arange(1, len(video)) / FPS
    near_hit = np.array([np.any((t - HITS >= 0) & (t - HITS < 0.08)) for t in times])
    correlation = np.corrcoef(change, near_hit.astype(float))[0, 1]
    assert change[near_hit].mean() > 2 * change[~near_hit].mean()
    assert correlation > 0.35, correlation


def test_failed_render_leaves_nothing_behind(make_style, hits_track, tmp_path):
    need_program("ffmpeg")
    make_style("hits", seed=8)
    audio, _ = hits_track
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "odd.mp4"
    result = run_cli("render", str(audio), "-o", str(out), "--style", "hits",
                     "--styles", str(tmp_path / "styles"), "--size", "191x108", "-q")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "even width and height" in result.stderr
    assert list(out_dir.iterdir()) == []


def test_bad_audio_and_unknown_style_give_one_line_errors(make_style, tmp_path):
    make_style("hits", seed=8)
    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF not really a wave file")
    result = run_cli("render", str(garbage), "-o", str(tmp_path / "x.mp4"), "--style", "hits",
                     "--styles", str(tmp_path / "styles"), "-q")
    assert result.returncode == 2 and "garbage.wav" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("render", str(garbage), "-o", str(tmp_path / "x.mp4"), "--style", "nope",
                     "--styles", str(tmp_path / "styles"), "-q")
    assert result.returncode == 2 and "nope" in result.stderr
    assert list(tmp_path.glob("*.mp4")) == [] and list(tmp_path.glob(".*.mp4")) == []


def test_unwritable_output_folder_is_one_line(make_style, hits_track, tmp_path):
    make_style("hits", seed=8)
    audio, _ = hits_track
    result = run_cli("render", str(audio), "-o", "/proc/vjengine-test.mp4", "--style", "hits",
                     "--styles", str(tmp_path / "styles"), "--size", "64x36", "-q")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "/proc/vjengine-test.mp4" in result.stderr and "cannot write" in result.stderr


def test_disk_full_mid_render_leaves_no_partial_file(make_style, hits_track, tmp_path):
    """RLIMIT_FSIZE makes every write past 60 kB fail with EFBIG, as a full disk would (ENOSPC)."""
    import resource
    import signal

    need_program("ffmpeg")
    make_style("hits", seed=8)
    audio, _ = hits_track
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000))

    result = subprocess.run([sys.executable, "-m", "vjengine", "render", str(audio), "-o",
                             str(out_dir / "full.mp4"), "--style", "hits", "--styles",
                             str(tmp_path / "styles"), "--size", "320x180", "--render-scale", "0.25",
                             "-q"], capture_output=True, text=True, timeout=300, preexec_fn=limit_file_size)
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("vjengine: ") and "full.mp4: encoding failed" in last
    assert "Traceback" not in result.stderr
    assert list(out_dir.iterdir()) == []
