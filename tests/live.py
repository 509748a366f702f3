"""Running the live engine as a real process under Xvfb + PulseAudio, and reading its telemetry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import need_program, need_real


def need_display_and_pulse() -> None:
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    for program in ("xdotool", "paplay", "pactl", "import"):
        need_program(program)
    ok = subprocess.run(["pactl", "info"], capture_output=True).returncode == 0
    need_real(ok, "a running PulseAudio server (pactl info)")


class LiveEngine:
    """`vjengine run` in a subprocess with a telemetry file; stopped with Esc like a VJ would."""

    def __init__(self, tmp: Path, *args: str):
        self.telemetry = tmp / "telemetry.jsonl"
        if "--osc-port" not in args and "--no-osc" not in args:
            args = (*args, "--osc-port", "0")  # an ephemeral port: engines in parallel never collide
        self.log = open(tmp / "engine.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vjengine", "run", "--telemetry", str(self.telemetry), *args],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.tmp = tmp

    def records(self) -> list[dict]:
        if not self.telemetry.exists():
            return []
        text = self.telemetry.read_text()
        complete = text[:text.rfind("\n") + 1]  # the engine may be midway through its last line
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def last(self) -> dict:
        records = self.records()
        return records[-1] if records else {}

    def wait_for(self, condition, timeout: float, what: str) -> dict:
        """Poll telemetry until condition(record) holds; fail with the log tail if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.last()
            if record and condition(record):
                return record
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"engine never reached: {what}; last telemetry {self.last()}; "
                             f"log tail:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        if not self.log.closed:
            self.log.flush()
        return "\n".join((self.tmp / "engine.log").read_text().splitlines()[-lines:])

    def window_id(self) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            out = subprocess.run(["xdotool", "search", "--name", "^vjengine$"], capture_output=True, text=True)
            if out.stdout.strip():
                return out.stdout.split()[0]
            time.sleep(0.2)
        raise AssertionError("no vjengine window on the display")

    def key(self, name: str) -> None:
        subprocess.run(["xdotool", "key", "--window", self.window_id(), name], check=True)

    def stop(self) -> int:
        """Press Esc; if the engine has not quit within 30 s, dump its threads and fail."""
        if self.proc.poll() is None:
            try:
                self.key("Escape")
                self.proc.wait(timeout=30)
            except (AssertionError, subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
                self.proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack to the log
                time.sleep(1.0)
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"engine did not quit on Esc ({exc}); log tail:\n{self.log_tail()}")
        self.log.close()
        return self.proc.returncode


def play(path: Path) -> subprocess.Popen:
    """Play a file into the PulseAudio null sink (whose monitor the engine records)."""
    return subprocess.Popen(["paplay", "--device=vj_sink", str(path)])


def grab_window(window_id: str, out: Path):
    """The window's real picture from the X server, as a numpy array."""
    import numpy as np
    from PIL import Image

    subprocess.run(["import", "-window", window_id, str(out)], check=True, capture_output=True)
    return np.asarray(Image.open(out).convert("RGB")).astype(np.float32)
