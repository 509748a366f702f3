"""Option values and startup refusals: one line and exit 2, never a traceback, before a window opens;
and the commands that need no heavy modules answer without importing them."""

import argparse
import os
import subprocess
import sys

import pytest

from tests.conftest import need_real
from vjengine.cli import build_parser, engine_from_args, main
from vjengine.errors import InputError

HEAVY_MODULES = ("torch", "moderngl", "glfw", "sounddevice", "aubio", "rich")


def run_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "vjengine", *args], capture_output=True, text=True,
                          timeout=300, **kwargs)


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith(("usage:", " "))]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    return lines[0]


@pytest.mark.unit
@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "--fps", "0"], "--fps: '0'"),
    (["run", "--fps", "nan"], "--fps: 'nan'"),
    (["run", "--fps", "inf"], "--fps: 'inf'"),
    (["render", "a.wav", "-o", "b.mp4", "--fps", "0"], "--fps: '0'"),
    (["replay", "a.vjshow", "-o", "b.mp4", "--fps", "nan"], "--fps: 'nan'"),
    (["run", "--param", "zoom=nan"], "zoom=nan"),
    (["render", "a.wav", "-o", "b.mp4", "--param", "zoom=inf"], "zoom=inf"),
    (["run", "--gain", "nan"], "--gain: 'nan'"),
    (["run", "--samplerate", "0"], "--samplerate: '0'"),
    (["run", "--latency", "500"], "--latency: '500': expected a number from 0 to 150"),
    (["run", "--render-scale", "0"], "--render-scale: '0'"),
    (["run", "--snapshot-every", "-1"], "--snapshot-every"),
    (["run", "--record-size", "8x8"], "--record-size: size '8x8'"),
])
def test_bad_option_values_are_one_line_and_exit_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert expected in line, line


@pytest.mark.unit
@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--snapshots", "missing/shots", "folder"),
    ("--screenshot", "missing/last.png", "folder"),
    ("--telemetry", "missing/stats.jsonl", "folder"),
    ("--journal", "missing/show.vjshow", "folder"),
    ("--screenshot", "last.txt", "expected a .png"),
    ("--record", "show.txt", "expected an .mp4"),
    ("--record-size", "641x360", "h264 needs even width and height"),
    ("--input", "missing-song.wav", "no such file"),
    ("--style", "nosuch", "no such style"),
    ("--style-b", "nosuch", "no such style"),
])
def test_run_refuses_bad_files_and_styles_before_the_show(make_style, tmp_path, flag, value, expected):
    make_style("alpha")
    if "/" in value or flag == "--input" or value.endswith((".txt", ".png")):
        value = str(tmp_path / value)
    args = build_parser("run").parse_args(["run", "--no-osc", "--styles", str(tmp_path / "styles"),
                                           flag, value])
    with pytest.raises(InputError) as info:
        engine_from_args(args)  # the window would be opened at the end of this
    message = str(info.value)
    assert (message.startswith(f"{flag} ") or message.startswith(f"{value}: ")) and expected in message
    assert "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["styles"]  # nothing written


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--style", "nosuch", "no such style"),
    ("--preset", "nosuch", "nosuch.toml"),
    ("--input", "no-such-song.wav", "no such file"),
])
def test_run_with_a_typo_exits_2_before_a_window_opens(make_style, tmp_path, flag, value, expected):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    make_style("alpha")
    result = run_cli("run", "--no-osc", "--styles", str(tmp_path / "styles"), "--frames", "30", flag, value)
    line = one_error_line(result.stderr)
    assert result.returncode == 2 and expected in line, result.stderr
    assert "glfw" not in result.stderr and "render scale" not in result.stderr  # no window was made


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["render", "--help"],
    ["replay", "--help"],
    ["render", "song.wav", "-o", "song.mp4", "--fps", "0"],
])
def test_help_and_argument_errors_import_no_heavy_module(argv):
    result = run_cli(*argv, env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    assert result.returncode in (0, 2), result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert imported and not imported & set(HEAVY_MODULES), sorted(imported & set(HEAVY_MODULES))


def test_help_shows_the_defaults_from_the_config():
    from vjengine.config import OfflineConfig, RenderConfig

    run_help = run_cli("run", "--help").stdout
    render_help = " ".join(run_cli("render", "--help").stdout.split())
    width, height = RenderConfig.size
    assert f"(default {width}x{height})" in run_help
    assert f"(default {OfflineConfig.size[0]}x{OfflineConfig.size[1]})" in render_help
    assert f"(default {OfflineConfig.fps:g})" in render_help and "vjengine devices" in run_help
    top = run_cli("--help").stdout
    assert "vjengine run" in top and "parse, call" not in top


@pytest.mark.unit
def test_every_option_of_every_command_has_help_text():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    missing = [f"{name} {action.option_strings or action.dest}" for name, sub in commands.items()
               for action in sub._actions if not action.help]
    assert not missing, missing


def test_devices_lists_the_audio_inputs_and_the_monitors():
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    result = run_cli("devices")
    assert result.returncode == 0, result.stderr
    monitors = result.stdout.split("monitors (--monitor INDEX):\n", 1)[1].splitlines()
    assert monitors and monitors[0].split()[0] == "0" and monitors[0].endswith("1920x1080"), result.stdout
    assert "audio inputs" in result.stdout


@pytest.mark.unit
def test_record_onto_the_input_file_is_refused_before_the_show(make_style, tmp_path):
    make_style("alpha")
    song = tmp_path / "song.mp4"
    song.write_bytes(b"not really a song, but it must survive")
    args = build_parser("run").parse_args(["run", "--no-osc", "--styles", str(tmp_path / "styles"),
                                           "--input", str(song), "--record", str(song)])
    with pytest.raises(InputError, match="is the input"):
        engine_from_args(args)
    assert song.read_bytes() == b"not really a song, but it must survive"
