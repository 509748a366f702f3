"""Time to the first picture: the live show logs it and writes a telemetry record at that frame."""

import json
import os
import subprocess
import sys
import time

from tests.conftest import need_real


def test_first_picture_is_logged_with_the_seconds_since_the_command_started(make_style, tmp_path):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    make_style("alpha")
    telemetry = tmp_path / "stats.jsonl"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "vjengine", "run", "--input", "demo", "--no-osc",
                             "--size", "160x90", "--frames", "5", "--styles", str(tmp_path / "styles"),
                             "--telemetry", str(telemetry)], capture_output=True, text=True, timeout=300)
    took = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(line for line in result.stderr.splitlines() if "first picture" in line)
    seconds = float(line.split("first picture ")[1].split(" s")[0])
    records = [json.loads(line) for line in telemetry.read_text().splitlines()]
    first = next(r for r in records if r["style_a"] is not None)
    assert 0.0 < seconds < took and 0.0 < first["t"] - started < took
