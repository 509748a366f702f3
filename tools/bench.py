#!/usr/bin/env python
"""Benchmarks: CPPN evaluation fps per backend and resolution, start-up latency, offline render speed.

Each section is a function registered with @section; `--only NAME` runs some of them. Every
section returns rows (dicts) that are printed as one rich table and stored in the JSON report.
Numbers from one run are comparable with each other; on a shared machine compare ratios.

    python tools/bench.py                      # everything, JSON under out/bench/
    python tools/bench.py --only cppn --only offline --json out/bench/cpu.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from vjengine.demo import demo_track, write_wav
from vjengine.model import conditioning
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import COORD_SIZE, CPPN, CPPNConfig
from vjengine.modulate import FrameInputs, PostParams
from vjengine.render.backends.cpu import usable_cores
from vjengine.render.backends.cuda import describe_device
from vjengine.render.backends.glsl import is_software
from vjengine.render.evaluate import CPUBackend, CUDABackend, GLSLBackend, ReferenceBackend, cuda_available
from vjengine.render.fastmath import fast_sin
from vjengine.styles.store import Style, load_style, save_style, style_meta

CPU_SIZES = [(160, 90), (320, 180), (640, 360), (1280, 720), (1920, 1080)]
CUDA_SIZES = [(1920, 1080), (3840, 2160)]
GLSL_SIZES = [(320, 180), (640, 360), (1280, 720), (1920, 1080)]
OFFLINE_JOBS = [((1280, 720), 0.25, False), ((1920, 1080), 0.25, False), ((1280, 720), 0.25, True)]
DEFAULT_JSON_DIR = Path("out/bench")


@dataclass
class Context:
    """What sections share: options, a scratch folder, styles, and earlier sections' rows."""

    quick: bool
    scratch: Path
    baseline: Path | None = None  # another checkout whose live loop runs before this one's
    results: dict[str, list[dict]] = field(default_factory=dict)
    _styles: dict[int, Style] = field(default_factory=dict)

    def style(self, seed: int) -> Style:
        """A seeded default-shape style saved to and loaded from the scratch folder."""
        if seed not in self._styles:
            net = CPPN(CPPNConfig(), seed=seed)
            meta = style_meta(net.config, f"bench-{seed}", "benchmark style", "seeded-init", 0.0)
            self._styles[seed] = load_style(save_style(self.scratch / "styles", f"bench-{seed}", net, meta))
        return self._styles[seed]


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    run: Callable[[Context], list[dict]]


SECTIONS: dict[str, Section] = {}


def section(name: str, title: str):
    """Register a benchmark section; it takes the Context and returns table rows."""
    def register(run: Callable[[Context], list[dict]]):
        SECTIONS[name] = Section(name, title, run)
        return run
    return register


# -- measuring ----------------------------------------------------------------------------------

def rates(call: Callable[[], object], budget_s: float, repeats: int = 5,
          clock: Callable[[], float] = time.perf_counter, warm_up: bool = True) -> list[float]:
    """Calls per second in `repeats` windows of about budget_s / repeats each (at least one call).

    clock=time.thread_time measures single-threaded work by the CPU time it took, which time
    spent descheduled by other processes does not inflate.
    """
    if warm_up:
        call()
    found = []
    for _ in range(repeats):
        count, start = 0, clock()
        while True:
            call()
            count += 1
            elapsed = clock() - start
            if elapsed >= budget_s / repeats:
                break
        found.append(count / elapsed)
    return found


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "best": max(values)}


def bench_frame(t: float = 0.0) -> FrameInputs:
    """A frame under the conditioning of silence and a slightly moving transform."""
    return FrameInputs(t=t, conditioning=tuple(conditioning.rest_state().tolist()),
                       transform=CoordinateTransform(zoom=1.0 + 0.01 * (t % 2)), xfade=0.0,
                       post=PostParams())


def frame_rate(backend, styles, width: int, height: int, budget_s: float, repeats: int = 5) -> dict:
    """Frames per second of backend.evaluate, with the transform moving every frame (as live).

    Besides wall-clock rates it reports `cpu_time_fps`: the usable cores divided by the CPU
    seconds (all threads of this process) per frame, i.e. the rate if every core were ours and
    the work scaled perfectly. On a busy machine it shows what the wall clock cannot.
    """
    frames = itertools.cycle([bench_frame(0.0), bench_frame(1.0)])
    calls = 0

    def call():
        nonlocal calls
        calls += 1
        backend.evaluate(styles, width, height, next(frames))

    call()
    calls, cpu_start = 0, time.process_time()
    found = summary(rates(call, budget_s, repeats, warm_up=False))
    found["cpu_time_fps"] = usable_cores() * calls / (time.process_time() - cpu_start)
    return found


def network_cost(config: CPPNConfig) -> tuple[float, float]:
    """(multiply-add FLOPs, sines) per pixel of the folded network."""
    w = config.width
    flops = 2 * (COORD_SIZE * w + (config.depth - 1) * w * w + 3 * w)
    return flops, config.depth * w


# -- sections -----------------------------------------------------------------------------------

def sine_in_place(x: torch.Tensor) -> torch.Tensor:
    return x.copy_(fast_sin(x))


@section("machine", "Machine and measured peaks (one core)")
def machine(ctx: Context) -> list[dict]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    windows = 10 if ctx.quick else 30  # short windows, best one: a busy neighbour spoils only some
    try:
        a, w, out = torch.rand(1024, 128), torch.rand(128, 128), torch.empty(1024, 128)
        sgemm = max(rates(lambda: torch.mm(a, w, out=out), windows * 0.05, windows, time.thread_time)) \
            * 2 * 1024 * 128 * 128 / 1e9
        # The slope between a small and a chunk-sized block: the per-element cost without the per-call cost.
        small, large = torch.rand(128, 128) * 12 - 6, torch.rand(2048, 128) * 12 - 6
        sine = torch.compile(sine_in_place, dynamic=False)
        seconds = [1 / max(rates(lambda: sine(x), windows * 0.05, windows, time.thread_time))
                   for x in (small, large)]
        sine_ns = 1e9 * (seconds[1] - seconds[0]) / (large.numel() - small.numel())
    finally:
        torch.set_num_threads(threads)
    return [{
        "cpu": cpu_model(), "cores": usable_cores(),
        "isa": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__,
        "sgemm_gflops_per_core": round(sgemm, 1), "fast_sin_ns": round(sine_ns, 3),
        "gpu": describe_device(),
    }]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def warm_kernel(style: Style, cache_dir: Path | None = None) -> bool:
    """Build or load the compiled CPU kernel for style's shape; True if it compiled."""
    with CPUBackend(cache_dir=cache_dir) as cpu:
        cpu.prepare(style)
        return cpu.wait_compiled()


def roofline_fps(ctx: Context, pixels: int, config: CPPNConfig = CPPNConfig()) -> float:
    """This machine's bound: every core doing matmuls at the sgemm peak and sines at their peak."""
    if "machine" not in ctx.results:
        ctx.results["machine"] = machine(ctx)
    peaks = ctx.results["machine"][0]
    flops, sines = network_cost(config)
    per_pixel_s = flops / (peaks["sgemm_gflops_per_core"] * 1e9) + sines * peaks["fast_sin_ns"] * 1e-9
    return usable_cores() / (pixels * per_pixel_s)


@section("cppn", "CPPN evaluation on the CPU: fast path vs naive eager fp32 vs roofline")
def cppn(ctx: Context) -> list[dict]:
    style = ctx.style(1)
    sizes = CPU_SIZES[:2] if ctx.quick else CPU_SIZES
    budget = 2.0 if ctx.quick else 4.0
    reference = ReferenceBackend()
    net = reference.prepare(style)
    repeats = {size: 5 if size[0] * size[1] <= 640 * 360 else 3 for size in sizes}  # big frames: slow
    naive = {size: frame_rate(reference, [net], *size, budget, repeats[size]) for size in sizes}
    rows = []
    compiled = warm_kernel(style)
    with CPUBackend() as cpu:
        folded = cpu.prepare(style)
        cpu.wait_compiled()
        for size in sizes:
            fast = frame_rate(cpu, [folded], *size, budget, repeats[size])
            roof = roofline_fps(ctx, size[0] * size[1])
            rows.append({
                "size": f"{size[0]}x{size[1]}", "reference_fps": round(naive[size]["median"], 2),
                "cpu_fps": round(fast["median"], 2), "cpu_best_fps": round(fast["best"], 2),
                "speedup": round(fast["median"] / naive[size]["median"], 2),
                "roofline_fps": round(roof, 1), "best_of_roofline": f"{fast['best'] / roof:.0%}",
                "reference_cpu_time_fps": round(naive[size]["cpu_time_fps"], 2),
                "cpu_cpu_time_fps": round(fast["cpu_time_fps"], 2),
                "kernel": "compiled" if compiled else "eager",
            })
    return rows


@section("cpu-core", "One core: CPU time per pixel (thread CPU time, robust to busy neighbours)")
def cpu_core(ctx: Context) -> list[dict]:
    from vjengine.model import coords
    from vjengine.render.backends.base import FoldedWeights
    from vjengine.render.backends.cpu_kernel import CompiledKernel, EagerKernel, kernel_weights, package_path

    style = ctx.style(1)
    warm_kernel(style)
    if "machine" not in ctx.results:
        ctx.results["machine"] = machine(ctx)
    peaks = ctx.results["machine"][0]
    flops, sines = network_cost(style.config)
    roofline_us = 1e6 * (flops / (peaks["sgemm_gflops_per_core"] * 1e9) + sines * peaks["fast_sin_ns"] * 1e-9)
    folded = FoldedWeights.from_model(style.model())
    weights, bias = kernel_weights(folded), folded.frame_bias(bench_frame().conditioning)
    chunk = coords.grid(320, 180)[:2048].contiguous()
    frame = coords.grid(320, 180)
    net, cond = style.model(), torch.tensor(bench_frame().conditioning)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        kernels = {"compiled kernel, 2048-pixel chunk": CompiledKernel(package_path(style.config), 1),
                   "eager kernel, 2048-pixel chunk": EagerKernel()}
        pixel_rates = {label: 2048 * max(rates(lambda k=k: k(chunk, bias, folded.coord, weights), 2.0, 20,
                                               time.thread_time))
                       for label, k in kernels.items()}
        with torch.no_grad():
            pixel_rates["reference, whole 320x180 frame"] = frame.shape[0] * max(
                rates(lambda: net(frame, cond), 3.0, 5, time.thread_time))
    finally:
        torch.set_num_threads(threads)
    rows = [{"path": label, "us_per_pixel": round(1e6 / rate, 3),
             "of_roofline": f"{roofline_us * rate / 1e6:.0%}",
             "fps_per_core_320x180": round(rate / (320 * 180), 2)} for label, rate in pixel_rates.items()]
    rows.append({"path": "roofline (sgemm peak + fast sine)", "us_per_pixel": round(roofline_us, 3),
                 "of_roofline": "100%", "fps_per_core_320x180": round(1e6 / roofline_us / (320 * 180), 2)})
    return rows


@section("cpu-threads", "CPU fast path at 320x180: chunk threads vs an OpenMP team, chunk size")
def cpu_threads(ctx: Context) -> list[dict]:
    style = ctx.style(1)
    warm_kernel(style)
    cores = usable_cores()
    variants = [("chunk pool", cores, chunk, 1) for chunk in (512, 1024, 2048, 4096, 8192)]
    variants += [("one chunk thread", 1, 2048, 1), ("OpenMP team in the matmuls", 1, 4096, cores)]
    rows = []
    for label, workers, chunk, team in variants:
        with CPUBackend(chunk=chunk, workers=workers) as cpu:
            torch.set_num_threads(team)  # close() restores torch's own setting
            folded = cpu.prepare(style)
            cpu.wait_compiled()
            fps = frame_rate(cpu, [folded], 320, 180, 2.0 if ctx.quick else 4.0)
        rows.append({"threading": label, "chunk_threads": workers, "intra_op_threads": team,
                     "chunk": chunk, "fps": round(fps["median"], 2), "best_fps": round(fps["best"], 2),
                     "cpu_time_fps": round(fps["cpu_time_fps"], 2)})
    return rows


def first_frame(make: Callable[[], object], style: Style, wait: bool) -> tuple[float, float]:
    """(seconds to the first frame, seconds until the compiled kernel is ready) for a new backend."""
    start = time.perf_counter()
    backend = make()
    folded = backend.prepare(style)
    if wait:
        backend.wait_compiled()
    backend.evaluate([folded], 320, 180, bench_frame())
    first = time.perf_counter() - start
    ready = first
    if not wait and hasattr(backend, "wait_compiled"):
        backend.wait_compiled()
        ready = time.perf_counter() - start
    backend.close()
    return first, ready


@section("startup", "First-frame latency at 320x180 (new backend -> first picture)")
def startup(ctx: Context) -> list[dict]:
    style = ctx.style(1)
    warm_kernel(style)
    rows = []
    first, _ = first_frame(ReferenceBackend, style, wait=False)
    rows.append({"backend": "reference", "first_frame_s": round(first, 3), "compiled_ready_s": "-"})
    first, _ = first_frame(lambda: CPUBackend(compile=False), style, wait=False)
    rows.append({"backend": "cpu, eager kernel", "first_frame_s": round(first, 3), "compiled_ready_s": "-"})
    first, ready = first_frame(CPUBackend, style, wait=True)
    rows.append({"backend": "cpu, warm kernel cache", "first_frame_s": round(first, 3),
                 "compiled_ready_s": round(ready, 3)})
    if not ctx.quick:
        with tempfile.TemporaryDirectory(dir=ctx.scratch) as cold:
            first, ready = first_frame(lambda: CPUBackend(cache_dir=Path(cold)), style, wait=False)
        rows.append({"backend": "cpu, cold kernel cache", "first_frame_s": round(first, 3),
                     "compiled_ready_s": round(ready, 1)})
    return rows


def child_cpu_seconds() -> float:
    """User + system CPU seconds of this process's finished children so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command_seconds(*argv: str, repeats: int = 3) -> tuple[float, float]:
    """Median (wall, CPU) seconds from starting `vjengine ARGV` to its exit: what a user waits at a
    prompt, and the CPU time it took (which other load on the machine inflates less)."""
    import subprocess

    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), child_cpu_seconds()
        subprocess.run([sys.executable, "-m", "vjengine", *argv], capture_output=True, timeout=300)
        walls.append(time.perf_counter() - start)
        cpus.append(child_cpu_seconds() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def first_picture_seconds(ctx: Context, *extra: str) -> tuple[float, float]:
    """Seconds from starting `vjengine run` to its first picture: the telemetry record written at the
    first drawn frame (the first with a style), whose time is perf_counter, i.e. CLOCK_MONOTONIC,
    which every process here shares; and the CPU seconds of the whole run (5 frames)."""
    import subprocess

    telemetry = ctx.scratch / "first-picture.jsonl"
    telemetry.unlink(missing_ok=True)
    start, cpu = time.perf_counter(), child_cpu_seconds()
    subprocess.run([sys.executable, "-m", "vjengine", "run", "--input", "demo", "--no-osc", "--frames", "5",
                    "--styles", str(ctx.scratch / "styles"), "--telemetry", str(telemetry), *extra],
                   check=True, capture_output=True, timeout=600)
    cpu = child_cpu_seconds() - cpu
    first = next(json.loads(line) for line in telemetry.read_text().splitlines()
                 if json.loads(line)["style_a"] is not None)
    return first["t"] - start, cpu


@section("command", "Command line: seconds a user waits for help, listings, an error and the first picture")
def command(ctx: Context) -> list[dict]:
    styles = str(ctx.scratch / "styles")
    ctx.style(1)
    rows = []
    for argv in (["--help"], ["render", "--help"], ["render", "x.wav", "-o", "x.mp4", "--fps", "0"],
                 ["run", "--help"], ["styles", "--dir", styles], ["presets"], ["devices"]):
        wall, cpu = command_seconds(*argv)
        rows.append({"command": " ".join(argv), "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3)})
    if not os.environ.get("DISPLAY"):
        return [*rows, {"command": "run: first picture", "seconds": "skipped: no X display ($DISPLAY)"}]
    warm_kernel(ctx.style(1))
    for label, extra in (("run: first picture (320x180)", ["--size", "320x180"]),
                         ("run: first picture (default size)", [])):
        found = [first_picture_seconds(ctx, *extra) for _ in range(1 if ctx.quick else 3)]
        rows.append({"command": label, "seconds": round(statistics.median(f[0] for f in found), 3),
                     "cpu_seconds": round(statistics.median(f[1] for f in found), 3)})
    return rows


@section("offline", "Offline render of a 10 s generated track (vjengine render), speed vs real time")
def offline(ctx: Context) -> list[dict]:
    from vjengine.show.offline import RenderJob, render_file

    seconds = 5.0 if ctx.quick else 10.0
    track = write_wav(ctx.scratch / "demo.wav", demo_track(seconds))
    style_a, style_b = ctx.style(1), ctx.style(2)
    warm_kernel(style_a)  # render_file's backend then loads it from the cache
    rows = []
    for size, scale, crossfade in OFFLINE_JOBS:
        job = RenderJob(audio=track, output=ctx.scratch / f"render-{size[0]}.mp4", style_a=style_a,
                        style_b=style_b if crossfade else None, size=size, fps=30.0, render_scale=scale)
        start = time.perf_counter()
        render_file(job, show_progress=False)
        elapsed = time.perf_counter() - start
        rows.append({"output": f"{size[0]}x{size[1]} @ 30 fps", "render_scale": scale,
                     "cppn_size": f"{round(size[0] * scale)}x{round(size[1] * scale)}",
                     "styles": "A<->B crossfade" if crossfade else "one", "audio_s": seconds,
                     "render_s": round(elapsed, 1), "x_real_time": round(seconds / elapsed, 3)})
    return rows


@section("cuda", "CUDA backend (fp16): fps at 1080p and 4K")
def cuda(ctx: Context) -> list[dict]:
    if not cuda_available():
        return [{"status": "skipped: torch sees no NVIDIA GPU on this machine"}]
    styles = [ctx.style(1), ctx.style(2)]
    rows = []
    variants = [("graphs+compile", {}), ("graphs+compile, L2-sized chunks", {"chunk": 1 << 16}),
                ("graphs", {"compile": False}), ("eager", {"compile": False, "graphs": False})]
    for label, options in variants:
        start = time.perf_counter()
        backend = CUDABackend(**options)
        folded = [backend.prepare(s) for s in styles]
        backend.evaluate(folded[:1], *CUDA_SIZES[0], bench_frame())
        first = time.perf_counter() - start
        for size in CUDA_SIZES:
            for count in (1, 2):
                fps = frame_rate(backend, folded[:count], *size, 3.0)
                rows.append({"device": describe_device(), "variant": label,
                             "size": f"{size[0]}x{size[1]}", "styles": count,
                             "fps": round(fps["median"], 1), "best_fps": round(fps["best"], 1),
                             "first_frame_s": round(first, 2)})
        backend.close()
    return rows


@section("glsl", "GLSL backend: ms per frame (with read-back) on this machine's OpenGL renderer")
def glsl(ctx: Context) -> list[dict]:
    try:
        backend = GLSLBackend()
    except RuntimeError as exc:
        return [{"status": f"skipped: {exc}"}]
    rows = []
    with backend:
        software = is_software(backend.renderer)  # llvmpipe: a correctness path, one frame a size
        folded = [backend.prepare(ctx.style(seed)) for seed in (1, 2)]
        frames = itertools.cycle([bench_frame(0.0), bench_frame(1.0)])
        for size in GLSL_SIZES[:2] if ctx.quick else GLSL_SIZES:
            for count in (1,) if software else (1, 2):
                found = rates(lambda: backend.evaluate(folded[:count], *size, next(frames)),
                              0.0 if software else 2.0, 1 if software else 5)
                rows.append({"renderer": backend.renderer, "size": f"{size[0]}x{size[1]}",
                             "styles": count, "ms_per_frame": round(1000 / statistics.median(found), 2),
                             "fps": round(statistics.median(found), 2)})
    return rows


# -- running ------------------------------------------------------------------------------------

LIVE_CASES = (  # (label, options, also run with --baseline's code)
    ("adaptive from 320x180", ["--render-scale", "0.25"], True),
    ("CPPN fixed at 160x90", ["--render-scale", "0.125", "--fixed-scale"], True),
    ("adaptive, edge upscale", ["--render-scale", "0.25", "--upscale", "edge"], False),
)
LIVE_SETTLE_S = 3.0  # telemetry before this (start-up, first kernel calls) is left out of the stage times


def live_run(ctx: Context, label: str, args: list[str], tree: Path | None) -> dict:
    """One `vjengine run` at 1280x720 playing a music file; its last telemetry and mean stage times."""
    import subprocess

    track = ctx.scratch / "music.wav"
    if not track.exists():
        write_wav(track, demo_track(20.0))
    telemetry = ctx.scratch / f"live-{len(list(ctx.scratch.glob('live-*.jsonl')))}.jsonl"
    env = dict(os.environ, PYTHONPATH=str(tree)) if tree is not None else None  # and cwd: `-m` looks there first
    done = subprocess.run([sys.executable, "-m", "vjengine", "run", "--input", str(track), "--size", "1280x720",
                           "--fps", "30", "--no-osc", "--styles", str(ctx.scratch / "styles"), "--style",
                           ctx.style(1).slug, "--frames", str(300 if ctx.quick else 600), "--telemetry",
                           str(telemetry), *args], capture_output=True, text=True, timeout=1800, env=env, cwd=tree)
    row = {"code": "before" if tree is not None else "after", "case": label}
    if done.returncode != 0:
        return {**row, "status": f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"}
    records = [json.loads(line) for line in telemetry.read_text().splitlines()]
    last = records[-1]
    row |= {"cppn_size": "x".join(map(str, last["internal"])), "frames": last["frames"], "fps": last["fps"],
            "p50_ms": last["p50_ms"], "p99_ms": last["p99_ms"], "late": last["late"]}
    settled = [r["stages_ms"] for r in records if r.get("stages_ms") and r["t"] - records[0]["t"] >= LIVE_SETTLE_S]
    for name in settled[0] if settled else ():  # the median record: a style load's one long frame is no trend
        row[name] = round(statistics.median(stages[name] for stages in settled), 1)
    return row


@section("live", "Live loop under Xvfb: vjengine run, a music file, 1280x720 window, 30 fps target; "
                 "stage times in ms")
def live(ctx: Context) -> list[dict]:
    if not os.environ.get("DISPLAY"):
        return [{"status": "skipped: no X display ($DISPLAY)"}]
    warm_kernel(ctx.style(1))
    rows = []
    if ctx.baseline is not None:
        rows += [live_run(ctx, label, args, ctx.baseline) for label, args, both in LIVE_CASES if both]
    rows += [live_run(ctx, label, args, None) for label, args, _ in LIVE_CASES]
    return rows


UPSCALE_FROM, UPSCALE_TO = (320, 180), (1280, 720)


def psnr(picture, reference) -> float:
    """Peak signal-to-noise ratio (dB) of a uint8 picture against a reference."""
    import numpy as np

    mse = float(np.mean((picture.astype(np.float64) - reference.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0 ** 2 / mse) if mse > 0 else float("inf")


def edge_sharpness(picture, reference, share: float = 0.05) -> float:
    """The picture's mean luma gradient on the reference's strongest edges (its top `share` of
    pixels by gradient), as a fraction of the reference's own: 1.0 is as sharp as the reference."""
    import numpy as np

    def gradient(rgb):
        luma = rgb.astype(np.float64) @ np.array([0.2126, 0.7152, 0.0722])
        gy, gx = np.gradient(luma)
        return np.hypot(gx, gy)

    ref = gradient(reference).ravel()
    edges = np.argpartition(ref, -max(1, int(share * ref.size)))[-max(1, int(share * ref.size)):]
    return float(gradient(picture).ravel()[edges].mean() / ref[edges].mean())


def upscale_ms(pipeline, repeats: int) -> tuple[float, float]:
    """(best wall ms, median CPU ms) of the post pass plus the upscale to the output size, GL work
    included. llvmpipe rasterises on threads of this process, so its CPU time is the work itself,
    which time spent descheduled by other processes does not inflate."""
    from vjengine.render.gl import present_uniforms

    wall, cpu = [], []
    texture, fbo = pipeline._readback
    for _ in range(repeats):
        pipeline.ctx.finish()
        start, cpu_start = time.perf_counter(), time.process_time()
        pipeline.draw(0.0, PostParams())
        pipeline._draw("present", fbo, {"source": pipeline.output}, flip_y=True,
                       **present_uniforms(pipeline.present_mode, pipeline.output.size, pipeline.size))
        pipeline.ctx.finish()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    return round(1000 * min(wall), 2), round(1000 * statistics.median(cpu), 2)


@section("upscale", "Upscale 320x180 -> 1280x720 against the CPPN evaluated at 1280x720, shipped styles")
def upscale(ctx: Context) -> list[dict]:
    from vjengine.paths import STYLES
    from vjengine.render.gl import UPSCALERS, Pipeline, create_offscreen_context
    from vjengine.styles.store import list_styles

    styles = [s for s in list_styles(STYLES) if isinstance(s, Style)]
    if not styles:
        return [{"status": f"skipped: no shipped styles in {STYLES}"}]
    gl = create_offscreen_context()
    pipelines = {mode: Pipeline(gl, UPSCALE_TO, upscale=mode) for mode in UPSCALERS}
    rows, frame = [], bench_frame()
    with CPUBackend() as cpu:
        for style in styles[:2] if ctx.quick else styles:
            folded = cpu.prepare(style)
            cpu.wait_compiled()
            low = cpu.evaluate([folded], *UPSCALE_FROM, frame)[0]
            full = cpu.evaluate([folded], *UPSCALE_TO, frame)[0]
            row = {"style": style.slug}
            for mode, pipeline in pipelines.items():
                pipeline.upload("a", low)
                pipeline.draw(0.0, PostParams())
                picture = pipeline.read_rgb()
                row[f"{mode}_psnr_db"] = round(psnr(picture, full), 2)
                row[f"{mode}_edge"] = round(edge_sharpness(picture, full), 3)
            rows.append(row)
    repeats = 5 if ctx.quick else 15
    costs = {mode: upscale_ms(pipeline, repeats) for mode, pipeline in pipelines.items()}
    renderer = gl.info["GL_RENDERER"].split(" (")[0]
    rows.append({"style": f"wall ms on {renderer} (best)", **{f"{mode}_ms": costs[mode][0] for mode in costs}})
    rows.append({"style": f"CPU ms on {renderer} (median)", **{f"{mode}_ms": costs[mode][1] for mode in costs}})
    gl.release()
    return rows


@section("latency", "Onset-to-frame latency: a click after silence, played into PulseAudio, to the first changed frame")
def latency(ctx: Context) -> list[dict]:
    import threading

    import numpy as np
    import sounddevice as sd

    from vjengine.cli import build_parser, engine_from_args
    from vjengine.demo import SAMPLERATE, kick

    if not os.environ.get("DISPLAY") or not any("pulse" in d["name"] for d in sd.query_devices()):
        return [{"status": "skipped: needs an X display and a PulseAudio server"}]
    clicks = 4 if ctx.quick else 8
    args = build_parser().parse_args([
        "run", "--input", "pulse", "--size", "320x180", "--fps", "60", "--render-scale", "0.25",
        "--fixed-scale", "--no-osc", "--styles", str(ctx.scratch / "styles"), "--style", ctx.style(1).slug,
        "--param", "speed=0", "--param", "reactivity=2", "--param", "flash=0", "--param", "beat_zoom=0",
        "--frames", "100000"])
    warm_kernel(ctx.style(1))
    engine = engine_from_args(args)
    shown: list[tuple[float, np.ndarray]] = []  # (perf time just after the swap, picture)
    swap = engine.stage.output.swap

    def swap_and_record():
        swap()
        shown.append((time.perf_counter(), engine.pipeline.read_rgb().astype(np.float32)))

    engine.stage.output.swap = swap_and_record
    sound, click_times = kick().astype(np.float32), []

    def play():
        time.sleep(3.0)
        position, starts = 0, [int((1.0 + 2.0 * i) * SAMPLERATE) for i in range(clicks)]
        track = np.zeros(int((2.0 * clicks + 1.0) * SAMPLERATE), np.float32)
        for start in starts:
            track[start:start + len(sound)] = 0.8 * sound

        def callback(out, frames, info, status):
            nonlocal position
            now = time.perf_counter()
            for start in starts:
                if position <= start < position + frames:
                    click_times.append(now + (info.outputBufferDacTime - info.currentTime)
                                       + (start - position) / SAMPLERATE)
            chunk = track[position:position + frames]
            out[:len(chunk), 0] = chunk
            out[len(chunk):, 0] = 0
            position += frames

        with sd.OutputStream(device="pulse", channels=1, samplerate=SAMPLERATE, callback=callback,
                             latency="low"):
            time.sleep(len(track) / SAMPLERATE + 0.5)
        engine.stage.quit = True

    player = threading.Thread(target=play, daemon=True)
    player.start()
    engine.run()
    times = np.array([t for t, _ in shown])
    change = np.array([0.0] + [float(np.abs(b - a).mean()) for (_, a), (_, b) in zip(shown, shown[1:])])
    rows = []
    for i, click in enumerate(click_times):
        quiet = change[(times > click - 0.6) & (times < click - 0.05)]
        # The picture moves a little between clicks (bands against their running average, the
        # tracker's phase): the click's frame is the first that changes 1.5x more than any before it.
        threshold = max(1.5 * float(quiet.max()) if len(quiet) else 0.0, 1.0)
        after = np.nonzero((times > click) & (times < click + 0.5) & (change > threshold))[0]
        rows.append({"click": i + 1, "latency_ms": round(1000 * (times[after[0]] - click), 1)
                     if len(after) else "not seen within 500 ms"})
    values = [row["latency_ms"] for row in rows if isinstance(row["latency_ms"], float)]
    if values:
        rows.append({"click": "median", "latency_ms": round(statistics.median(values), 1)})
    return rows or [{"status": f"none of {len(click_times)} clicks reached the picture"}]


@section("train", "Training step time: RN50 with random weights on this machine")
def train(ctx: Context) -> list[dict]:
    from vjengine.train.bench import step_seconds

    device = "cuda" if cuda_available() else "cpu"
    return [{"model": "RN50", "size": size, "device": device,
             "seconds_per_step": round(step_seconds("RN50", size, steps=1 if ctx.quick else 2,
                                                    device=device), 2)}
            for size in (256, 512)]


def load_average() -> float:
    """The 1-minute load average (other processes competing for the cores), or -1 if unknown."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0


def show(console: Console, title: str, rows: list[dict]) -> None:
    table = Table(title=title, title_justify="left")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for row in rows:
        table.add_row(*[str(row.get(column, "")) for column in columns])
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only these sections (repeatable or comma-separated): "
                             + ", ".join(SECTIONS))
    parser.add_argument("--json", type=Path,
                        help=f"report path (default {DEFAULT_JSON_DIR}/bench-<time>.json)")
    parser.add_argument("--quick", action="store_true", help="fewer sizes and shorter windows")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="live: also run the live cases with the code of this checkout (before/after)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the backends do")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    chosen = [name for item in args.only for name in item.split(",") if name] or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; expected some of {', '.join(SECTIONS)}")
    stamp = datetime.now(timezone.utc)
    output = args.json or DEFAULT_JSON_DIR / f"bench-{stamp:%Y%m%d-%H%M%S}.json"
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    loads: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="vj-bench-") as scratch:
        ctx = Context(quick=args.quick, scratch=Path(scratch), baseline=args.baseline)
        for name in chosen:
            started, load = time.perf_counter(), load_average()
            try:
                ctx.results[name] = SECTIONS[name].run(ctx)
            except Exception as exc:  # one broken section (no GL, no ffmpeg...) must not lose the rest
                logging.getLogger("bench").exception("section %s failed", name)
                ctx.results[name] = [{"error": f"{type(exc).__name__}: {exc}"}]
            took = time.perf_counter() - started
            loads[name] = [load, load_average()]
            show(console, f"{SECTIONS[name].title}  [{took:.0f} s, load {load} -> {loads[name][1]}]",
                 ctx.results[name])
    report = {"created": stamp.isoformat(timespec="seconds"), "command": [sys.executable, *sys.argv],
              "quick": args.quick, "load_average_1min": loads, "sections": ctx.results}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=1) + "\n")
    console.print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
