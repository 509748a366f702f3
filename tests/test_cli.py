"""The command line: styles listing, model info, analysis JSON; bad input gives one line and exit 2."""

import json
import subprocess
import sys

import numpy as np

from tests.conftest import need_program
from vjengine.demo import demo_track, write_wav


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=300)


def test_styles_info_prints_the_default_parameter_count():
    result = run_cli("styles", "--info")
    assert result.returncode == 0 and "51,587 parameters" in result.stdout


def test_styles_lists_slug_name_method_and_score(make_style, tmp_path):
    make_style("alpha", seed=1)
    (tmp_path / "styles" / "broken").mkdir()
    result = run_cli("styles", "--dir", str(tmp_path / "styles"))
    assert "alpha" in result.stdout and "seeded-init" in result.stdout and "a test style" in result.stdout
    assert "broken" in result.stderr and result.returncode == 1


def test_analyze_writes_causal_beats_onsets_and_tempo(tmp_path):
    need_program("ffmpeg")
    audio = write_wav(tmp_path / "demo.wav", demo_track(12.0, bpm=124.0))
    out = tmp_path / "analysis.json"
    result = run_cli("analyze", str(audio), "--json", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert abs(data["duration"] - 12.0) < 0.05
    assert len(data["onsets"]) > 20 and len(data["beats"]) > 10
    assert np.all(np.diff(data["beats"]) > 0)
    assert abs(data["bpm"] - 124.0) / 124.0 < 0.03


def test_unknown_parameter_and_bad_size_are_refused(tmp_path):
    result = run_cli("render", "x.wav", "-o", "y.mp4", "--param", "wobble=3")
    assert result.returncode == 2 and "unknown parameter" in result.stderr
    result = run_cli("render", "x.wav", "-o", "y.mp4", "--size", "big")
    assert result.returncode == 2 and "WIDTHxHEIGHT" in result.stderr


def test_missing_audio_file_is_one_line(tmp_path, make_style):
    make_style("alpha")
    result = run_cli("render", str(tmp_path / "none.wav"), "-o", str(tmp_path / "o.mp4"),
                     "--style", "alpha", "--styles", str(tmp_path / "styles"))
    assert result.returncode == 2 and result.stderr.strip() == f"vjengine: {tmp_path / 'none.wav'}: no such audio file"
