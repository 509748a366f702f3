"""Show journals: a live show with OSC changes and a crossfade replays to the same pictures."""

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from tests.conftest import need_program, need_real
from tests.live import LiveEngine
from vjengine.render.backends.cpu_kernel import load_or_build
from vjengine.demo import drum_loop, write_wav


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    """A ~10 s live show under Xvfb with OSC changes and a crossfade, journaled and snapshotted."""
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    oscsend = need_program("oscsend")
    tmp = tmp_path_factory.mktemp("show")
    from vjengine.model.cppn import CPPN
    from vjengine.styles.store import save_style, style_meta

    for i, slug in enumerate(("first", "second")):
        net = CPPN(seed=60 + i)
        save_style(tmp / "styles", slug, net, style_meta(net.config, slug, "p", "seeded-init", 0.0))
    # A warm kernel cache: the live show renders every frame with the compiled kernel replay waits for.
    load_or_build(net.config, runners=1)
    track = write_wav(tmp / "groove.wav", drum_loop(124.0, 16.0))
    port = free_port()
    (tmp / "snaps").mkdir()
    engine = LiveEngine(tmp, "--input", str(track), "--size", "320x180", "--fps", "30",
                        "--styles", str(tmp / "styles"), "--style", "first", "--osc-port", str(port),
                        "--journal", str(tmp / "show.vjshow"), "--snapshots", str(tmp / "snaps"),
                        "--snapshot-every", "5", "--param", "trails=0.3")
    try:
        engine.wait_for(lambda r: r["frames"] > 10, 240, "rendering")
        started = engine.last()["t"]
        for address, kind, value in (("/vj/param/zoom", "f", "0.7"), ("/vj/style/b", "s", "second"),
                                     ("/vj/param/hue", "f", "0.3"), ("/vj/xfade", "f", "0.5"),
                                     ("/vj/param/kaleido", "f", "0.5"), ("/vj/xfade", "f", "0.8")):
            subprocess.run([oscsend, "localhost", str(port), address, kind, value], check=True)
            time.sleep(1.2)
        engine.wait_for(lambda r: r["t"] - started > 9.0 and r["xfade"] > 0.7, 30, "a 10 s show")
    finally:
        assert engine.stop() == 0
    return tmp


def test_replay_at_the_live_size_matches_what_was_shown(show):
    result = run_cli("replay", str(show / "show.vjshow"), "-o", str(show / "replay.mp4"),
                     "--styles", str(show / "styles"), "--frames-dir", str(show / "replayed"), "-q")
    assert result.returncode == 0, result.stderr[-3000:]
    snaps = sorted((show / "snaps").glob("frame-*.png"))
    assert len(snaps) > 15
    compared = 0
    for snap in snaps:
        live = np.asarray(Image.open(snap)).astype(int)
        again = np.asarray(Image.open(show / "replayed" / snap.name)).astype(int)
        if live.max() == 0:  # before the first style had loaded
            continue
        assert np.array_equal(live, again), snap.name
        compared += 1
    assert compared > 15
    distinct = {np.asarray(Image.open(s)).tobytes() for s in snaps[-10:]}
    assert len(distinct) == 10  # the show moved: the comparison is not of one still picture


def test_replay_at_twice_the_size_and_another_rate(show):
    out = show / "replay-2x.mp4"
    result = run_cli("replay", str(show / "show.vjshow"), "-o", str(out), "--size", "640x360",
                     "--fps", "24", "--styles", str(show / "styles"), "-q")
    assert result.returncode == 0, result.stderr[-3000:]
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "stream=codec_name,width,height,r_frame_rate", "-of", "csv=p=0", str(out)],
                           capture_output=True, text=True, check=True).stdout.split()
    assert probe == ["h264,640,360,24/1", "aac,0/0"]  # csv: audio has no size or video rate


def test_a_journal_naming_a_changed_style_fails_clearly(show, tmp_path):
    import shutil

    styles = tmp_path / "styles"
    shutil.copytree(show / "styles", styles)
    meta = styles / "second" / "style.toml"
    meta.write_text(meta.read_text().replace('name = "second"', 'name = "second, edited"'))
    shutil.rmtree(styles / "first")
    result = run_cli("replay", str(show / "show.vjshow"), "-o", str(tmp_path / "x.mp4"),
                     "--styles", str(styles), "-q")
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert "first is missing" in message and "second has changed since the show" in message
    assert not (tmp_path / "x.mp4").exists()
