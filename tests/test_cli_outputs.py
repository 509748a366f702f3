"""Output paths of render, replay and --record: the input, a wrong extension or a device is refused
before anything is written, and partial files of killed encoders are cleaned up."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from tests.conftest import need_program
from vjengine.demo import demo_track, write_wav
from vjengine.render.encoder import VideoEncoder, check_output, process_alive
from vjengine.errors import InputError


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def song(tmp_path):
    return write_wav(tmp_path / "song.wav", demo_track(2.0))


def assert_refused(result, *words):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and lines[0].startswith("vjengine: ") and all(w in lines[0] for w in words), lines


def render_args(audio, output, tmp_path):
    return ("render", str(audio), "-o", str(output), "--styles", str(tmp_path / "styles"), "-q",
            "--size", "64x36")


def folder_listing(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("alias", ["same", "hardlink", "symlink"])
def test_render_onto_its_input_is_refused_and_the_input_is_kept(make_style, song, tmp_path, alias):
    make_style("alpha")
    before, listing = song.read_bytes(), folder_listing(tmp_path)
    output = song
    if alias == "hardlink":
        output = tmp_path / "song.mp4"
        os.link(song, output)
    elif alias == "symlink":
        output = tmp_path / "song.mp4"
        output.symlink_to(song)
    listing = folder_listing(tmp_path)
    result = run_cli(*render_args(song, output, tmp_path))
    if alias == "same":
        assert_refused(result, ".mp4")  # song.wav: the extension is refused first
    else:
        assert_refused(result, "is the input", "refusing")
    assert song.read_bytes() == before and folder_listing(tmp_path) == listing


def test_an_mp4_input_given_as_output_is_refused(make_style, tmp_path):
    need_program("ffmpeg")
    make_style("alpha")
    clip = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", str(clip)], check=True)
    before = clip.read_bytes()
    assert_refused(run_cli(*render_args(clip, clip, tmp_path)), "is the input")
    assert clip.read_bytes() == before


@pytest.mark.parametrize("name", ["out.txt", "out.wav", "out"])
def test_an_output_that_is_not_mp4_is_one_line(make_style, song, tmp_path, name):
    make_style("alpha")
    assert_refused(run_cli(*render_args(song, tmp_path / name, tmp_path)), ".mp4")
    assert not (tmp_path / name).exists()


@pytest.mark.unit
def test_a_device_fifo_or_folder_named_mp4_is_not_replaced(tmp_path):
    fifo, folder, device = tmp_path / "fifo.mp4", tmp_path / "folder.mp4", tmp_path / "null.mp4"
    os.mkfifo(fifo)
    folder.mkdir()
    made = [fifo, folder]
    if os.geteuid() == 0:
        os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))  # a character device, as /dev/null
        made.append(device)
    for path in made:
        with pytest.raises(InputError, match="not a regular file"):
            check_output(path)
    assert fifo.is_fifo() and folder.is_dir()


def test_replay_onto_its_journal_is_refused(tmp_path):
    journal = tmp_path / "show.mp4"  # a journal named like a video, given as its own output
    journal.write_bytes(b"journal bytes")
    assert_refused(run_cli("replay", str(journal), "-o", str(journal)), "is the input")
    assert journal.read_bytes() == b"journal bytes"


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_encoders_partial_file_is_removed_by_the_next_one(tmp_path):
    need_program("ffmpeg")
    stale = tmp_path / f".out.{dead_pid()}.x1y2z3.partial.mp4"
    alive = tmp_path / f".out.{os.getppid()}.a1b2c3.partial.mp4"  # a running encoder's: kept
    for path in (stale, alive):
        path.write_bytes(b"half a video")
    encoder = VideoEncoder(tmp_path / "out.mp4", (32, 32), 10.0)
    encoder.write(np.zeros((32, 32, 3), np.uint8))
    encoder.finish()
    assert not stale.exists() and alive.exists()
    assert (tmp_path / "out.mp4").stat().st_size > 0
    assert [p.name for p in tmp_path.glob(".out.*.partial.mp4")] == [alive.name]


def test_sigterm_during_render_leaves_no_partial_file(make_style, tmp_path):
    need_program("ffmpeg")
    make_style("alpha")
    song = write_wav(tmp_path / "long.wav", demo_track(120.0))
    output = tmp_path / "long.mp4"
    process = subprocess.Popen([sys.executable, "-m", "vjengine", *render_args(song, output, tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(".long.*.partial.mp4")):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in process.stderr.read()
    assert not list(tmp_path.glob(".long.*")) and not output.exists()


# A stop (SIGTERM as SystemExit, as `vjengine render` has it) that lands inside Popen after ffmpeg
# has started: it must wait until the encoder holds the process, else the exit cannot stop that
# ffmpeg, which writes the partial file again after the exit deleted it.
STOP_WHILE_FFMPEG_STARTS = """
import os, signal, subprocess, sys, time
from vjengine.cli import exit_on_sigterm
from vjengine.render import encoder

class StoppedWhileStarting(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        print(self.pid, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.5)

exit_on_sigterm()
encoder.subprocess.Popen = StoppedWhileStarting
encoder.VideoEncoder(sys.argv[1], (32, 32), 10.0, audio=sys.argv[2])
"""


def test_a_stop_while_ffmpeg_starts_leaves_no_partial_file(song, tmp_path):
    need_program("ffmpeg")
    result = subprocess.run([sys.executable, "-c", STOP_WHILE_FFMPEG_STARTS, str(tmp_path / "out.mp4"), str(song)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    ffmpeg = int(result.stdout.split()[0])
    deadline = time.monotonic() + 30
    while process_alive(ffmpeg):  # orphaned, it ends at its closed input
        assert time.monotonic() < deadline, "ffmpeg still runs"
        time.sleep(0.05)
    assert not list(tmp_path.glob(".out.*")) and not (tmp_path / "out.mp4").exists()
