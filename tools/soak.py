"""Soak the live engine under audio, OSC and MIDI traffic; report crashes, memory growth, frame times, drops.

    python tools/soak.py --minutes 10 --json soak.json     # the release check
    python tools/soak.py --minutes 0.5                     # a quick smoke run

Runs `vjengine run` in the X display of $DISPLAY at a small internal resolution, with a telemetry
file for frame times and counters. A generated drum loop plays into the PulseAudio sink `vj_sink`
(whose monitor the engine records), and about --rate messages a second go to 127.0.0.1 only: OSC
datagrams (mostly valid, a quarter garbage) over UDP, and MIDI (CCs, pads, clock) through a JACK
virtual port. Exits 1 if a target is missed: no crash (exit code 0, no traceback in the log, no
failed frame), RSS growth < 50 MB (median of the last window minus median of the first, after the
warm-up), p99 frame time of the last window within 20% of the first window's. A window is a
minute, or half the run when it is shorter than two minutes. Each window reports the engine's p50
and p99 frame time and fps (its telemetry), the engine's RSS, the load average, and the messages
sent, accepted (OSC), read (MIDI) and dropped.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pythonosc.osc_message_builder import OscMessageBuilder  # noqa: E402

from vjengine.control.params import PARAMS  # noqa: E402
from vjengine.demo import drum_loop, write_wav  # noqa: E402

RSS_GROWTH_MB = 50.0
P99_TOLERANCE = 0.20
MIDI_SHARE = 0.2  # of the message rate; the rest is OSC
GARBAGE_SHARE = 0.25  # of the OSC datagrams


def osc(address: str, *values) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value)
    return builder.build().dgram


def garbage(rng: random.Random) -> bytes:
    """One bad datagram: random bytes, a cut or flipped message, wrong types, NaN, bad bundles."""
    valid = osc(f"/vj/param/{rng.choice(PARAMS).name}", rng.random())
    kind = rng.randrange(8)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 120))
    if kind == 1:
        return valid[:rng.randrange(1, len(valid))]
    if kind == 2:
        data = bytearray(valid)
        data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
        return bytes(data)
    if kind == 3:
        return osc(f"/vj/param/{rng.choice(PARAMS).name}", rng.choice(["big", b"\x01", True, 1, 2.5, -1.0]))
    if kind == 4:
        return osc("/vj/param/zoom", rng.choice([float("nan"), float("inf"), -float("inf")]))
    if kind == 5:
        return osc("/vj/" + "".join(rng.choice("abcxyz*?/") for _ in range(rng.randrange(1, 30))), 0.5)
    if kind == 6:
        return b"#bundle\x00" + struct.pack(">Qi", 1, rng.choice([-4, 0, 3, 10_000]))
    return osc(rng.choice(["/vj/preset", "/vj/style/a", "/vj/learn/save"]), "../../etc/passwd")


def valid_osc(rng: random.Random) -> bytes:
    """One datagram a controller sends: mostly faders, sometimes a tap, tempo, crossfade or query."""
    kind = rng.randrange(100)
    if kind < 85:
        return osc(f"/vj/param/{rng.choice(PARAMS).name}", rng.random())
    if kind < 90:
        return osc("/vj/xfade", rng.random())
    if kind < 94:
        return osc("/vj/tap", 1.0)
    if kind < 97:
        return osc("/vj/get/" + rng.choice(PARAMS).name)
    return osc("/vj/tempo", rng.choice([0.0, rng.uniform(90, 160)]))


class Traffic:
    """Sends OSC and MIDI at a steady rate from one thread, until stopped or the count is reached."""

    def __init__(self, osc_port: int, midi_port, rate: float, seconds: float, seed: int = 1):
        self.osc_address = ("127.0.0.1", osc_port)
        self.midi = midi_port
        self.rate = rate
        self.limit = int(rate * seconds)
        self.rng = random.Random(seed)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.setblocking(False)
        self.sent = {"osc_valid": 0, "osc_garbage": 0, "midi": 0}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="traffic", daemon=True)

    def _midi_message(self):
        import mido

        kind = self.rng.randrange(100)
        if kind < 70:
            return mido.Message("control_change", control=self.rng.randrange(20, 37),
                                value=self.rng.randrange(128))
        if kind < 71:
            return mido.Message("note_on", note=self.rng.randrange(36, 40), velocity=100)  # a pad: a slot
        return mido.Message("clock")

    def _send_one(self) -> None:
        if self.rng.random() < MIDI_SHARE:
            self.midi.send(self._midi_message())
            self.sent["midi"] += 1
            return
        bad = self.rng.random() < GARBAGE_SHARE
        datagram = garbage(self.rng) if bad else valid_osc(self.rng)
        self.socket.sendto(datagram, self.osc_address)
        self.sent["osc_garbage" if bad else "osc_valid"] += 1

    def _run(self) -> None:
        start = time.perf_counter()
        done = 0
        while not self.stop.is_set() and done < self.limit:
            due = min(int((time.perf_counter() - start) * self.rate), self.limit)
            for _ in range(due - done):
                self._send_one()
            done = due
            self._drain_replies()
            time.sleep(0.005)

    def _drain_replies(self) -> None:
        try:
            while self.socket.recv(65536):
                pass
        except BlockingIOError:
            pass

    def total(self) -> int:
        return sum(self.sent.values())


def loop_audio(path: Path, stop: threading.Event, sink: str) -> None:
    """Play the file into the sink again and again until stopped."""
    while not stop.is_set():
        player = subprocess.Popen(["paplay", f"--device={sink}", str(path)])
        while player.poll() is None:
            if stop.wait(0.2):
                player.terminate()
                player.wait()
                return


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:  # the line being written when the engine stopped
            pass
    return records


def stop_engine(proc: subprocess.Popen) -> None:
    """Esc in its window, as a VJ quits; SIGTERM, then SIGKILL if it does not go."""
    found = subprocess.run(["xdotool", "search", "--name", "^vjengine$"], capture_output=True, text=True)
    if found.stdout.split():
        subprocess.run(["xdotool", "key", "--window", found.stdout.split()[0], "Escape"])
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=30)
            return
        except subprocess.TimeoutExpired:
            continue


def check_setup(parser: argparse.ArgumentParser) -> None:
    """Stop with a one-line reason when the X display or a needed program is missing."""
    if not os.environ.get("DISPLAY"):
        parser.error("needs an X display in $DISPLAY (Xvfb works)")
    missing = [program for program in ("paplay", "xdotool") if shutil.which(program) is None]
    if missing:
        parser.error(f"needs {' and '.join(missing)} on PATH (PulseAudio utilities, xdotool)")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", default="320x180", help="window size (default 320x180)")
    parser.add_argument("--fps", default="30", help="target frame rate (default 30)")
    parser.add_argument("--sink", default="vj_sink", help="PulseAudio sink to play into")


class LiveEngine:
    """`vjengine run` in $DISPLAY with a drum loop playing into the sink, an OSC port, a telemetry
    file and, given a name, a JACK MIDI port; entering waits until it renders, leaving stops it."""

    def __init__(self, size: str, fps: str, sink: str, midi_name: str | None = None):
        self.work = Path(tempfile.mkdtemp(prefix="vj-soak-"))
        self.telemetry, self.log_path = self.work / "telemetry.jsonl", self.work / "engine.log"
        self.osc_port = free_udp_port()
        self.command = [sys.executable, "-m", "vjengine", "run", "--telemetry", str(self.telemetry),
                        "--input", "pulse", "--size", size, "--fps", fps, "--render-scale", "0.25",
                        "--osc-port", str(self.osc_port)]
        if midi_name:
            self.command += ["--midi", midi_name, "--midi-api", "jack"]
        self.sink = sink
        self.stop_audio = threading.Event()
        self.process: subprocess.Popen | None = None
        self.died = False  # it exited before it was stopped

    def __enter__(self) -> LiveEngine:
        track = write_wav(self.work / "loop.wav", drum_loop(124.0, 16.0))
        threading.Thread(target=loop_audio, args=(track, self.stop_audio, self.sink), daemon=True).start()
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        deadline = time.perf_counter() + 300.0
        while not any(r.get("frames", 0) > 10 for r in self.records()[-3:]):
            if not self.running() or time.perf_counter() > deadline:
                self.__exit__()
                raise SystemExit(f"the engine never rendered; log: {self.log_path}")
            time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        self.died = not self.running()
        stop_engine(self.process)
        self.stop_audio.set()

    def running(self) -> bool:
        return self.process.poll() is None

    def records(self) -> list[dict]:
        return read_records(self.telemetry)

    def crashes(self, records: list[dict]) -> dict:
        """Exit code, death during the run, tracebacks in the log, failed frames (after leaving)."""
        errors = records[-1].get("errors", {}) if records else {}
        log_text = self.log_path.read_text(errors="replace")
        return {"exit_code": self.process.returncode, "died_during_run": self.died,
                "tracebacks": log_text.count("Traceback (most recent call last)"),
                "frame_errors": sum(errors.values())}


def crash_count(crashes: dict) -> int:
    return (int(crashes["exit_code"] != 0 or crashes["died_during_run"]) + crashes["tracebacks"]
            + crashes["frame_errors"])


def watch(engine: LiveEngine, until: float, sent: Callable[[], int]) -> list[dict]:
    """Once a second until `until` (perf_counter) or the engine's end: its RSS, the load average,
    the messages sent so far."""
    samples = []
    while time.perf_counter() < until and engine.running():
        samples.append({"t": time.perf_counter(), "rss_mb": rss_mb(engine.process.pid),
                        "load": os.getloadavg()[0], "sent": sent()})
        time.sleep(1.0)
    return samples


def control_at(records: list[dict], t: float) -> tuple[float, int, dict]:
    """Time, frame count and control counters of the last record at or before t (else the first)."""
    before = [r for r in records if r["t"] <= t] or records[:1]
    last = before[-1] if before else {"t": t, "frames": 0, "control": {}}
    return last["t"], last.get("frames", 0), last.get("control", {})


def counter_deltas(records: list[dict], a: float, b: float) -> dict[str, int]:
    """How much each numeric control counter (osc_*, midi_*, control_*, dropped) grew from a to b."""
    first, last = control_at(records, a)[2], control_at(records, b)[2]
    return {key: value - first.get(key, 0) for key, value in last.items()
            if isinstance(value, int) and not isinstance(value, bool) and value - first.get(key, 0)}


def window_stats(records: list[dict], samples: list[dict], a: float, b: float) -> dict:
    """Frame times and fps (the engine's telemetry), RSS, load and message counts from a to b."""
    frame_ms = [x for r in records if a <= r["t"] < b for x in r.get("frame_ms", [])]
    (ta, frames_a, _), (tb, frames_b, _) = control_at(records, a), control_at(records, b)
    inside = [s for s in samples if a <= s["t"] < b]
    memory = [s["rss_mb"] for s in inside if s["rss_mb"] is not None]
    counts = counter_deltas(records, a, b)
    return {
        "frames": len(frame_ms),
        "fps": round((frames_b - frames_a) / (tb - ta), 2) if tb > ta else None,
        "p50_ms": round(float(np.percentile(frame_ms, 50)), 2) if frame_ms else None,
        "p99_ms": round(float(np.percentile(frame_ms, 99)), 2) if frame_ms else None,
        "rss_mb": round(float(np.median(memory)), 1) if memory else None,
        "load": round(float(np.mean([s["load"] for s in inside])), 2) if inside else None,
        "sent": inside[-1]["sent"] - inside[0]["sent"] if len(inside) > 1 else 0,
        "osc_accepted": counts.get("osc_accepted", 0),
        "midi_in": counts.get("midi_messages", 0) + counts.get("midi_ignored", 0),
        "dropped": counts.get("dropped", 0),
    }


def windows(start: float, end: float) -> list[tuple[float, float]]:
    """Minute windows from start to end, or two halves when the run is shorter than two minutes."""
    length = 60.0 if end - start >= 120.0 else (end - start) / 2
    edges = list(np.arange(start, end - 1e-6, length)) + [end]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b - a > length / 2 or len(edges) == 2]


def print_windows(rows: list[dict]) -> None:
    print(f"{'window':>13} {'frames':>7} {'fps':>6} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7} {'load':>5} "
          f"{'sent':>7} {'OSC ok':>7} {'MIDI in':>7} {'dropped':>8}")
    for row in rows:
        print(f"{row['from_s']:>6.0f}-{row['to_s']:<5.0f}s {row['frames']:>7} {row['fps'] or 0:>6.2f} "
              f"{row['p50_ms'] or 0:>7.2f} {row['p99_ms'] or 0:>7.2f} {row['rss_mb'] or 0:>7.1f} "
              f"{row['load'] or 0:>5.2f} {row['sent']:>7} {row['osc_accepted']:>7} {row['midi_in']:>7} "
              f"{row['dropped']:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="measured run time (default 10; 0.5 works)")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of traffic before measuring")
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second, OSC + MIDI")
    add_engine_options(parser)
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    check_setup(parser)

    import mido

    midi_name = f"vjsoak{uuid.uuid4().hex[:6]}"
    midi_port = mido.Backend("mido.backends.rtmidi/UNIX_JACK").open_output(midi_name, virtual=True)
    try:
        with LiveEngine(args.size, args.fps, args.sink, midi_name) as engine:
            traffic = Traffic(engine.osc_port, midi_port, args.rate, args.warmup + args.minutes * 60.0)
            traffic.thread.start()
            try:
                start = time.perf_counter() + args.warmup
                samples = watch(engine, start + args.minutes * 60.0, traffic.total)
                end = min(start + args.minutes * 60.0, time.perf_counter())
            finally:
                traffic.stop.set()
                traffic.thread.join()
            time.sleep(1.0)  # the last datagrams reach the server and a telemetry record
    finally:
        midi_port.close()

    records = engine.records()
    crashes = engine.crashes(records)
    rows = [{"from_s": round(a - start, 1), "to_s": round(b - start, 1), **window_stats(records, samples, a, b)}
            for a, b in windows(start, end)]
    memory = [row["rss_mb"] for row in rows]
    growth = memory[-1] - memory[0] if memory and None not in (memory[0], memory[-1]) else None
    p99_first, p99_last = (rows[0]["p99_ms"], rows[-1]["p99_ms"]) if rows else (None, None)
    control = records[-1]["control"] if records else {}
    counters = {key: control.get(key, 0) for key in sorted(control) if key.startswith("osc_") or
                key.startswith("midi_") or key in ("bus_dropped", "dropped")}
    counters["osc_lost_before_the_server"] = (traffic.sent["osc_valid"] + traffic.sent["osc_garbage"]
                                              - control.get("osc_packets", 0))
    targets = {
        "no_crash": crash_count(crashes) == 0,
        "rss_growth_under_50_mb": growth is not None and growth < RSS_GROWTH_MB,
        "p99_last_within_20_percent_of_first": (p99_first is not None and p99_last is not None
                                                and p99_last <= p99_first * (1 + P99_TOLERANCE)),
    }
    report = {"minutes": args.minutes, "warmup_s": args.warmup, "rate": args.rate, "sent": traffic.sent,
              "crashes": crashes, "rss_growth_mb": growth, "windows": rows, "counters": counters,
              "targets": targets, "passed": all(targets.values()), "log": str(engine.log_path),
              "telemetry": str(engine.telemetry)}
    print_windows(rows)
    print(f"sent {traffic.sent}; crashes {crashes}; "
          f"RSS growth {'?' if growth is None else round(growth, 1)} MB")
    print("counters " + ", ".join(f"{k} {v}" for k, v in counters.items() if v))
    print("targets " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in targets.items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
