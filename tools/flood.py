"""Flood the live engine's OSC port from one sender on loopback; compare fps and p99 with a quiet run.

    python tools/flood.py --seconds 60 --json flood.json
    python tools/flood.py --seconds 10                     # a quick smoke run

Runs `vjengine run` as tools/soak.py does (320x180, 30 fps, a drum loop playing into `vj_sink`),
lets it settle, measures a quiet phase with no messages, then a flood phase of the same length: one
UDP socket sending, as fast as it can (no sleep), a shuffled pool of datagrams, half valid OSC
(faders, crossfade, tap, tempo, queries) and half hostile: garbage (random bytes, cut or flipped
messages, wrong types, NaN), address patterns that cost work (braces, brackets, `*`, `?`), oversized
datagrams and strings, bundles nested too deep or holding too many messages, and queries forging a
reply port. Reports the datagram rate the sender reached, the engine's fps and p50/p99 frame time
(its telemetry) in both phases, the load average, and the OSC counters of the flood (accepted and
dropped by kind, and the datagrams the kernel dropped before the server read them). Exits 1 if
the engine crashed: a non-zero exit, a traceback in its log, a failed frame.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from pathlib import Path

from soak import (LiveEngine, add_engine_options, check_setup, counter_deltas, crash_count, garbage, osc,
                  valid_osc, watch, window_stats)

from vjengine.control.params import PARAMS

POOL = 4096  # datagrams, sent round and round
DRAIN_SECONDS = 2.0  # after the flood, for the server to read what the kernel still holds
HOSTILE = {"garbage": 0.30, "pattern": 0.20, "oversized": 0.15, "deep_bundle": 0.15, "forged_query": 0.20}


def bundle(*elements: bytes) -> bytes:
    """An OSC bundle (time tag: immediately) of these messages or bundles."""
    return b"#bundle\x00" + struct.pack(">Q", 1) + b"".join(struct.pack(">i", len(e)) + e for e in elements)


def costly_pattern(rng: random.Random) -> bytes:
    """A message whose address pattern makes the matcher work: alternatives, sets, wildcards."""
    address = rng.choice([
        "/" + "{,}" * 24 + "X",
        "/" + "*" * rng.randrange(20, 250) + "X",
        "/vj/param/" + "?" * rng.randrange(20, 240),
        "/" + "/".join("*" * rng.randrange(1, 4) for _ in range(40)),
        "/vj/param/[" + "!-~" * rng.randrange(5, 80) + "]",
        "/{" + ",".join(["vj"] * rng.randrange(10, 80)) + "}/*/*",
        "/vj/param/*" + "{a,b}" * rng.randrange(5, 45),
        "/" + "[" * rng.randrange(1, 200),
    ])
    return osc(address, 0.5)


def oversized(rng: random.Random) -> bytes:
    """A datagram past the server's size limit, or a string past the longest name."""
    kind = rng.randrange(3)
    if kind == 0:
        return osc(f"/vj/param/{rng.choice(PARAMS).name}", "A" * rng.randrange(9000, 20000))
    if kind == 1:
        return rng.randbytes(rng.randrange(8193, 60000))
    return osc(rng.choice(["/vj/preset", "/vj/style/a", "/vj/transition"]), "x" * rng.randrange(65, 2000))


def deep_bundle(rng: random.Random) -> bytes:
    """Bundles nested past the depth limit, or one holding more messages than a datagram may."""
    inner = osc(f"/vj/param/{rng.choice(PARAMS).name}", rng.random())
    if rng.random() < 0.5:
        for _ in range(rng.randrange(5, 40)):
            inner = bundle(inner)
        return inner
    return bundle(*[inner] * rng.randrange(65, 300))


def forged_query(rng: random.Random, own_port: int) -> bytes:
    """A query asking for its reply on another port than the sender's."""
    port = rng.choice([p for p in (9000, 22, 53, 5353, rng.randrange(1, 65536)) if p != own_port])
    if rng.random() < 0.7:
        return osc(f"/vj/get/{rng.choice(PARAMS).name}", port)
    return osc("/vj/state", port)


def make_pool(rng: random.Random, own_port: int, hostile_share: float) -> list[tuple[str, bytes]]:
    """POOL (kind, datagram) pairs in a shuffled order: `hostile_share` of them hostile."""
    makers = {"garbage": garbage, "pattern": costly_pattern, "oversized": oversized, "deep_bundle": deep_bundle,
              "forged_query": lambda r: forged_query(r, own_port)}
    pool = []
    for _ in range(POOL):
        if rng.random() >= hostile_share:
            pool.append(("valid", valid_osc(rng)))
        else:
            kind = rng.choices(list(HOSTILE), weights=list(HOSTILE.values()))[0]
            pool.append((kind, makers[kind](rng)))
    return pool


class Flood:
    """One UDP socket sending the pool round and round, with no pause, until stopped."""

    def __init__(self, port: int, hostile_share: float, seed: int = 1):
        self.address = ("127.0.0.1", port)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        pool = make_pool(random.Random(seed), self.socket.getsockname()[1], hostile_share)
        self.composition = Counter(kind for kind, _ in pool)
        self.datagrams = [datagram for _, datagram in pool]
        self.sent = 0  # a whole number of pools
        self.failed = 0  # sends the kernel refused (a full send buffer)
        self.replies = 0  # datagrams the engine answered with
        self.seconds = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="flood", daemon=True)

    def _run(self) -> None:
        send, address = self.socket.sendto, self.address
        start = time.perf_counter()
        while not self.stop.is_set():
            for datagram in self.datagrams:
                try:
                    send(datagram, address)
                except OSError:
                    self.failed += 1
            self.sent += len(self.datagrams)
            self._drain_replies()
        self.seconds = time.perf_counter() - start

    def _drain_replies(self) -> None:
        try:
            while self.socket.recv(65536, socket.MSG_DONTWAIT):
                self.replies += 1
        except BlockingIOError:
            pass

    def by_kind(self) -> dict[str, int]:
        cycles = self.sent // len(self.datagrams)
        return {kind: count * cycles for kind, count in sorted(self.composition.items())}


def phase_row(name: str, records: list[dict], samples: list[dict], a: float, b: float) -> dict:
    stats = window_stats(records, samples, a, b)
    return {"phase": name, "seconds": round(b - a, 1),
            **{key: stats[key] for key in ("frames", "fps", "p50_ms", "p99_ms", "rss_mb", "load")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase (default 60)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds after the first frames, unmeasured")
    parser.add_argument("--hostile", type=float, default=0.5, help="share of hostile datagrams (default 0.5)")
    add_engine_options(parser)
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    check_setup(parser)
    if not 0.0 <= args.hostile <= 1.0:
        parser.error(f"--hostile {args.hostile}: expected a share from 0 to 1")

    with LiveEngine(args.size, args.fps, args.sink) as engine:
        flood = Flood(engine.osc_port, args.hostile)
        quiet_start = time.perf_counter() + args.settle
        samples = watch(engine, quiet_start + args.seconds, lambda: 0)
        flood_start = time.perf_counter()
        flood.thread.start()
        try:
            samples += watch(engine, flood_start + args.seconds, lambda: flood.sent)
        finally:
            flood.stop.set()
            flood.thread.join()
        flood_end = time.perf_counter()
        time.sleep(DRAIN_SECONDS)
        drained = time.perf_counter()

    records = engine.records()
    crashes = engine.crashes(records)
    phases = [phase_row("quiet", records, samples, quiet_start, flood_start),
              phase_row("flood", records, samples, flood_start, flood_end)]
    counters = {key.removeprefix("osc_"): value for key, value in counter_deltas(records, flood_start, drained).items()
                if key.startswith("osc_")}
    counters["lost_in_the_kernel"] = flood.sent - counters.get("packets", 0)
    sender = {"datagrams": flood.sent, "seconds": round(flood.seconds, 2),
              "rate_per_s": round(flood.sent / flood.seconds) if flood.seconds else 0,
              "by_kind": flood.by_kind(), "send_failed": flood.failed, "replies_received": flood.replies}
    report = {"seconds": args.seconds, "hostile_share": args.hostile, "sender": sender, "phases": phases,
              "counters": counters, "crashes": crashes, "passed": crash_count(crashes) == 0,
              "log": str(engine.log_path), "telemetry": str(engine.telemetry)}

    print(f"{'phase':>6} {'seconds':>8} {'frames':>7} {'fps':>6} {'p50 ms':>7} {'p99 ms':>7} {'RSS MB':>7} {'load':>5}")
    for row in phases:
        print(f"{row['phase']:>6} {row['seconds']:>8.1f} {row['frames']:>7} {row['fps'] or 0:>6.2f} "
              f"{row['p50_ms'] or 0:>7.2f} {row['p99_ms'] or 0:>7.2f} {row['rss_mb'] or 0:>7.1f} {row['load'] or 0:>5.2f}")
    print(f"sender: {flood.sent} datagrams in {flood.seconds:.1f} s = {sender['rate_per_s']}/s "
          f"({', '.join(f'{k} {v}' for k, v in sender['by_kind'].items())}); send failed {flood.failed}, "
          f"replies {flood.replies}")
    print("server: " + ", ".join(f"{k} {v}" for k, v in counters.items()))
    print(f"crashes {crashes}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
