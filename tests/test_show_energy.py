"""The picture follows the music's energy: a breakdown is darker and calmer, silence stops the pulse.

Real renders (`vjengine render`, real ffmpeg) of a generated song: a 128 BPM groove, a breakdown
30 dB quieter with no drums, the groove again, then silence.
"""

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import need_program
from vjengine.demo import SAMPLERATE, drum_loop, pad, write_wav

FPS = 20
SECTIONS = {"groove": (4.0, 12.0), "breakdown": (14.0, 20.0), "silence": (26.0, 32.0)}


def rms(samples):
    return float(np.sqrt(np.mean(np.square(samples))))


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    groove = drum_loop(128.0, 12.0)
    chords = pad(8.0, 220.0)
    breakdown = (chords * 10 ** (-30 / 20) * rms(groove) / rms(chords)).astype(np.float32)
    samples = np.concatenate([groove, breakdown, drum_loop(128.0, 4.0), np.zeros(8 * SAMPLERATE, np.float32)])
    return write_wav(tmp_path_factory.mktemp("song") / "song.wav", samples)


def render_frames(song, folder, style):
    need_program("ffmpeg")
    result = subprocess.run(
        [sys.executable, "-m", "vjengine", "render", str(song), "-o", str(folder / "out.mp4"), "--size",
         "160x90", "--fps", str(FPS), "--style", style, "-q"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    luma = subprocess.run(["ffmpeg", "-v", "error", "-i", str(folder / "out.mp4"), "-f", "rawvideo",
                           "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(luma, np.uint8).reshape(-1, 90, 160).astype(np.float32)


def section(frames, name):
    start, stop = SECTIONS[name]
    return frames[int(start * FPS):int(stop * FPS)]


@pytest.mark.parametrize("style", ["neon-rings", "coral-maze"])
def test_breakdown_is_darker_and_calmer_and_silence_stops_the_pulse(song, tmp_path, style):
    frames = render_frames(song, tmp_path, style)
    luma = {name: section(frames, name).mean() for name in SECTIONS}
    motion = {name: np.abs(np.diff(section(frames, name), axis=0)).mean() for name in SECTIONS}
    assert luma["breakdown"] < luma["groove"] - 10, luma
    assert motion["breakdown"] < 0.6 * motion["groove"], motion
    assert luma["silence"] < luma["groove"] - 10 and motion["silence"] < 0.5 * motion["groove"], (luma, motion)
    # no beat flash in the silence: the frame's brightness never jumps up
    steps = np.diff(section(frames, "silence").mean(axis=(1, 2)))
    assert steps.max() < 2.0, steps.max()
