"""One rule for what a style is: every command agrees, and names from files print escaped."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import need_program, need_real
from vjengine.demo import drum_loop, write_wav


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=600)


@pytest.fixture
def odd_styles(make_style, tmp_path):
    """A valid style, a copy of it under a non-slug folder name and one under a terminal escape."""
    good = make_style("good", seed=3)
    for odd in ("AAA-Style", "\x1b[31mevil"):
        shutil.copytree(good.folder, tmp_path / "styles" / odd)
    return tmp_path / "styles"


@pytest.mark.unit
def test_names_module_is_cheap_and_escapes_terminal_codes():
    code = "import sys, vjengine.names as n; print('torch' in sys.modules, n.shown('a\\x1b[2Jb\\u202e\\n'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "False a\\x1b[2Jb\\u202e\\x0a\n"


def test_styles_lists_non_slug_folders_as_invalid_and_prints_them_escaped(odd_styles):
    meta = odd_styles / "good" / "style.toml"
    meta.write_text(meta.read_text().replace('name = "good"', 'name = "good\\u001b]0;pwned\\u0007"'))
    result = run_cli("styles", "--dir", str(odd_styles))
    assert result.returncode == 1
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == ["good"]
    assert "good\\x1b]0;pwned\\x07" in result.stdout
    invalid = result.stderr.splitlines()
    assert len(invalid) == 2 and all("is not a style name" in line for line in invalid)
    assert any("\\x1b[31mevil" in line for line in invalid) and any("'AAA-Style'" in line for line in invalid)


def test_render_uses_the_first_valid_style_past_non_slug_folders(odd_styles, tmp_path):
    need_program("ffmpeg")
    track = write_wav(tmp_path / "beat.wav", drum_loop(120.0, 1.0))
    result = run_cli("render", str(track), "-o", str(tmp_path / "out.mp4"), "--styles", str(odd_styles),
                     "--size", "64x36", "--fps", "10", "-q")
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out.mp4").stat().st_size > 0


def test_run_with_only_a_non_slug_style_folder_is_refused(odd_styles):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    shutil.rmtree(odd_styles / "good")
    result = run_cli("run", "--styles", str(odd_styles), "--frames", "3", "--size", "64x36", "--no-osc")
    assert result.returncode == 2
    assert "no loadable styles" in result.stderr.strip().splitlines()[-1]
