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
minute, or half the run when it is shorter than two minutes.
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


def windows(start: float, end: float) -> list[tuple[float, float]]:
    """Minute windows from start to end, or two halves when the run is shorter than two minutes."""
    length = 60.0 if end - start >= 120.0 else (end - start) / 2
    edges = list(np.arange(start, end - 1e-6, length)) + [end]
    return [(a, b) for a, b in zip(edges, edges[1:]) if b - a > length / 2 or len(edges) == 2]


def summarise(records: list[dict], rss: list[tuple[float, float]], sent_log: list[tuple[float, int]],
              start: float, end: float) -> list[dict]:
    rows = []
    for a, b in windows(start, end):
        inside = [r for r in records if a <= r["t"] < b]
        frame_ms = [x for r in inside for x in r.get("frame_ms", [])]
        memory = [m for t, m in rss if a <= t < b]
        dropped = [r["control"].get("dropped", 0) for r in inside]
        sent = [n for t, n in sent_log if a <= t < b]
        rows.append({
            "from_s": round(a - start, 1), "to_s": round(b - start, 1), "frames": len(frame_ms),
            "p50_ms": round(float(np.percentile(frame_ms, 50)), 2) if frame_ms else None,
            "p99_ms": round(float(np.percentile(frame_ms, 99)), 2) if frame_ms else None,
            "rss_mb": round(float(np.median(memory)), 1) if memory else None,
            "sent": (sent[-1] - sent[0]) if len(sent) > 1 else 0,
            "dropped": (dropped[-1] - dropped[0]) if len(dropped) > 1 else 0,
        })
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="measured run time (default 10; 0.5 works)")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of traffic before measuring")
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second, OSC + MIDI")
    parser.add_argument("--size", default="320x180", help="window size (default 320x180)")
    parser.add_argument("--fps", default="30", help="target frame rate (default 30)")
    parser.add_argument("--sink", default="vj_sink", help="PulseAudio sink to play into")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    if not os.environ.get("DISPLAY"):
        parser.error("needs an X display in $DISPLAY (Xvfb works)")
    missing = [program for program in ("paplay", "xdotool") if shutil.which(program) is None]
    if missing:
        parser.error(f"needs {' and '.join(missing)} on PATH (PulseAudio utilities, xdotool)")

    import mido

    work = Path(tempfile.mkdtemp(prefix="vj-soak-"))
    telemetry, log_path = work / "telemetry.jsonl", work / "engine.log"
    track = write_wav(work / "loop.wav", drum_loop(124.0, 16.0))
    osc_port = free_udp_port()
    midi_name = f"vjsoak{uuid.uuid4().hex[:6]}"
    midi_port = mido.Backend("mido.backends.rtmidi/UNIX_JACK").open_output(midi_name, virtual=True)
    stop_audio = threading.Event()
    audio = threading.Thread(target=loop_audio, args=(track, stop_audio, args.sink), daemon=True)
    audio.start()
    command = [sys.executable, "-m", "vjengine", "run", "--telemetry", str(telemetry), "--input", "pulse",
               "--size", args.size, "--fps", args.fps, "--render-scale", "0.25", "--osc-port", str(osc_port),
               "--midi", midi_name, "--midi-api", "jack"]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(log_path, "w") as log:
        engine = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    rss: list[tuple[float, float]] = []
    sent_log: list[tuple[float, int]] = []
    traffic = Traffic(osc_port, midi_port, args.rate, args.warmup + args.minutes * 60.0)
    start = end = None
    try:
        deadline = time.perf_counter() + 300.0
        while not any(r.get("frames", 0) > 10 for r in read_records(telemetry)[-3:]):
            if engine.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"the engine never rendered; log: {log_path}")
            time.sleep(0.5)
        traffic.thread.start()
        start = time.perf_counter() + args.warmup
        end = start + args.minutes * 60.0
        while time.perf_counter() < end and engine.poll() is None:
            now = time.perf_counter()
            memory = rss_mb(engine.pid)
            if memory is not None:
                rss.append((now, memory))
            sent_log.append((now, traffic.total()))
            time.sleep(1.0)
        end = min(end, time.perf_counter())
    finally:
        traffic.stop.set()
        if traffic.thread.is_alive():
            traffic.thread.join()
        time.sleep(1.0)  # the last datagrams reach the server and a telemetry record
        died = engine.poll() is not None
        stop_engine(engine)
        stop_audio.set()
        midi_port.close()

    records = read_records(telemetry)
    log_text = log_path.read_text(errors="replace")
    last = records[-1] if records else {"control": {}, "errors": {}}
    control = last["control"]
    rows = summarise(records, rss, sent_log, start, end)
    crashes = {"exit_code": engine.returncode, "died_during_run": died,
               "tracebacks": log_text.count("Traceback (most recent call last)"),
               "frame_errors": sum(last.get("errors", {}).values())}
    crash_count = int(engine.returncode != 0 or died) + crashes["tracebacks"] + crashes["frame_errors"]
    memory = [row["rss_mb"] for row in rows]
    growth = memory[-1] - memory[0] if memory and None not in (memory[0], memory[-1]) else None
    p99_first, p99_last = (rows[0]["p99_ms"], rows[-1]["p99_ms"]) if rows else (None, None)
    osc_sent = traffic.sent["osc_valid"] + traffic.sent["osc_garbage"]
    counters = {key: control.get(key, 0) for key in sorted(control) if key.startswith("osc_") or
             key.startswith("midi_") or key in ("bus_dropped", "dropped")}
    counters["osc_lost_before_the_server"] = osc_sent - control.get("osc_packets", 0)
    targets = {
        "no_crash": crash_count == 0,
        "rss_growth_under_50_mb": growth is not None and growth < RSS_GROWTH_MB,
        "p99_last_within_20_percent_of_first": (p99_first is not None and p99_last is not None
                                                and p99_last <= p99_first * (1 + P99_TOLERANCE)),
    }
    report = {"minutes": args.minutes, "warmup_s": args.warmup, "rate": args.rate, "sent": traffic.sent,
              "crashes": crashes, "rss_growth_mb": growth, "windows": rows, "counters": counters,
              "targets": targets, "passed": all(targets.values()), "log": str(log_path),
              "telemetry": str(telemetry)}
    print(f"{'window':>13} {'frames':>7} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7} {'sent':>7} {'dropped':>8}")
    for row in rows:
        print(f"{row['from_s']:>6.0f}-{row['to_s']:<5.0f}s {row['frames']:>7} {row['p50_ms'] or 0:>7.2f} "
              f"{row['p99_ms'] or 0:>7.2f} {row['rss_mb'] or 0:>7.1f} {row['sent']:>7} {row['dropped']:>8}")
    print(f"sent {traffic.sent}; crashes {crashes}; "
          f"RSS growth {'?' if growth is None else round(growth, 1)} MB")
    print("counters " + ", ".join(f"{k} {v}" for k, v in counters.items() if v))
    print("targets " + ", ".join(f"{k} {'ok' if v else 'MISSED'}" for k, v in targets.items()))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
