"""The CPU fast path: pixel chunks evaluated side by side on a thread pool by the chunk kernel."""

from __future__ import annotations

import logging
import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from vjengine.model import coords
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import COORD_SIZE, CPPNConfig
from vjengine.render.backends.base import Backend
from vjengine.render.backends.cpu_kernel import (
    MAX_CHUNK,
    MIN_CHUNK,
    CompiledKernel,
    EagerKernel,
    kernel_weights,
    load_or_build,
    package_path,
)

log = logging.getLogger(__name__)


class KernelShelf:
    """Chunk kernels per network shape: a cached compiled one loads at once, a missing one builds on
    a daemon thread (a quit never waits for a compiler), and the eager kernel stands in until it is
    ready or if it fails. steady: get() waits for the build instead, so that every frame of a render
    comes from the same kernel and a render reproduces exactly."""

    def __init__(self, compile: bool, runners: int, directory: Path | None, steady: bool = False):
        self.compile = compile
        self.runners = runners
        self.directory = directory
        self.steady = steady
        self.eager = EagerKernel()
        self._ready: dict[CPPNConfig, object] = {}
        self._pending: dict[CPPNConfig, threading.Event] = {}
        self._lock = threading.Lock()

    def request(self, config: CPPNConfig) -> threading.Event | None:
        """Start loading or building the kernel for config unless that has begun."""
        if not self.compile:
            return None
        with self._lock:
            if config in self._ready or config in self._pending:
                return self._pending.get(config)
            if self._load_cached(config):
                return None
            done = self._pending[config] = threading.Event()
        threading.Thread(target=self._build, args=(config, done), daemon=True,
                         name="vj-kernel-build").start()
        return done

    def _load_cached(self, config: CPPNConfig) -> bool:
        """Load config's kernel now if the disk cache holds it (milliseconds); False if it must be built."""
        path = package_path(config, self.directory)
        if not path.exists():
            return False
        try:
            self._ready[config] = CompiledKernel(path, self.runners)
        except RuntimeError:
            return False  # a stale or broken file: the build thread replaces it
        log.info("compiled CPU kernel loaded: %s", path.name)
        return True

    def _build(self, config: CPPNConfig, done: threading.Event) -> None:
        try:
            kernel = load_or_build(config, self.runners, self.directory)
            log.info("compiled CPU kernel ready: %s", kernel.path.name)
        except Exception as exc:  # the show goes on with the eager kernel
            log.warning("compiled CPU kernel unavailable for %s (%s); using the eager path", config, exc)
            kernel = self.eager
        with self._lock:
            self._ready[config] = kernel
            del self._pending[config]
        done.set()

    def get(self, config: CPPNConfig):
        """The best kernel available now for config (waits only when steady)."""
        kernel = self._ready.get(config)
        if kernel is None:
            done = self.request(config)
            if self.steady and done is not None:
                done.wait()
            return self._ready.get(config, self.eager)
        return kernel

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every requested kernel is settled; True if all of them compiled."""
        if not self.compile:
            return False
        with self._lock:
            pending = list(self._pending.values())
        for event in pending:
            if not event.wait(timeout):
                return False
        with self._lock:
            return all(kernel is not self.eager for kernel in self._ready.values())


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def chunk_spans(pixels: int, chunk: int, workers: int) -> list[tuple[int, int]]:
    """[start, stop) spans of near-equal size <= chunk, at least one per worker, never under 2 pixels."""
    count = max(math.ceil(pixels / chunk), workers)
    count = max(1, min(count, pixels // 2))
    bounds = [pixels * i // count for i in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


class CPUBackend(Backend):
    """Folded layer 1, pixel chunks on `workers` threads, a compiled kernel with a fused fast sine.

    Each chunk runs single-threaded and the pool hands chunks to whichever thread is free, so a
    core taken by another thread delays one chunk rather than stalling an OpenMP team at every
    barrier. torch's intra-op threads are therefore set to 1 while the backend is open, and
    restored by close(). The compiled kernel loads from the on-disk cache or builds once in the
    background; frames render with the eager kernel until it is ready (see wait_compiled), unless
    steady, as offline renders are: they wait for it, so that a render reproduces exactly.
    """

    name = "cpu"

    def __init__(self, chunk: int = 2048, workers: int | None = None, compile: bool = True,
                 cache_dir: Path | None = None, steady: bool = False):
        if not MIN_CHUNK <= chunk <= MAX_CHUNK:
            raise ValueError(f"chunk must be {MIN_CHUNK}..{MAX_CHUNK} pixels, got {chunk}")
        self.chunk = chunk
        self.workers = workers or usable_cores()
        self._threads_before = torch.get_num_threads()
        torch.set_num_threads(1)
        self._closed = False
        self._pool = (ThreadPoolExecutor(self.workers, thread_name_prefix="vj-cpu")
                      if self.workers > 1 else None)
        self.kernels = KernelShelf(compile, self.workers, cache_dir, steady)
        self._xyr = torch.empty(0, COORD_SIZE)
        self._xyr_key: tuple[int, int, CoordinateTransform] | None = None
        log.debug("CPU backend: %d chunk thread(s) of up to %d pixels, compiled kernel %s",
                  self.workers, chunk, "on" if compile else "off")

    def prepare(self, style):
        weights = super().prepare(style)
        self.kernels.request(weights.config)
        return weights

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Block until the kernels of prepared styles are ready; True if all of them compiled."""
        return self.kernels.wait(timeout)

    def kernel_source(self, config: CPPNConfig) -> str:
        """"compiled" or "eager": what evaluates this network shape right now."""
        return self.kernels.get(config).source

    def evaluate(self, styles, width, height, frame):
        pixels = width * height
        fresh = self._xyr_key != (width, height, frame.transform)
        if fresh:  # the coordinates are recomputed chunk by chunk, on the pool
            self._xyr_key = None
            if self._xyr.shape[0] != pixels:
                self._xyr = torch.empty(pixels, COORD_SIZE)
        u, v = coords.unit_grid(width, height)
        xyr = self._xyr
        plans = [(self.kernels.get(w.config), w.frame_bias(frame.conditioning), w.coord, kernel_weights(w))
                 for w in styles]
        pictures = [torch.empty(pixels, 3, dtype=torch.uint8) for _ in styles]

        def run(span: tuple[int, int]) -> None:
            start, stop = span
            if fresh:
                xyr[start:stop] = coords.transform_points(u[start:stop], v[start:stop], frame.transform)
            for picture, (kernel, bias, coord, weights) in zip(pictures, plans):
                if stop - start < MIN_CHUNK:
                    kernel = self.kernels.eager
                picture[start:stop] = kernel(xyr[start:stop], bias, coord, weights)

        spans = chunk_spans(pixels, self.chunk, self.workers)
        if self._pool is None:
            for span in spans:
                run(span)
        else:
            for _ in self._pool.map(run, spans):
                pass
        if fresh:
            self._xyr_key = (width, height, frame.transform)
        return [picture.reshape(height, width, 3).numpy() for picture in pictures]

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        torch.set_num_threads(self._threads_before)
