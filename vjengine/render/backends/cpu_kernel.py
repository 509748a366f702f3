"""The CPU chunk kernel: the network on a block of pixels, eager or compiled ahead of time.

The compiled kernel is an AOTInductor package: one per network shape (width, depth,
conditioning size), with the weights as inputs so every style of that shape shares it, and the
pixel count dynamic so any chunk size runs. It is built in a child process (a compiler crash
cannot take the show down, and the compiler never holds the render thread's GIL) and cached on
disk, so a start with a warm cache loads it in milliseconds. Its runner releases the GIL while
it computes, so chunks run in parallel on a thread pool.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import logging
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

import vjengine
from vjengine.model.cppn import COORD_SIZE, CPPNConfig
from vjengine.render import fastmath
from vjengine.render.backends.base import FoldedWeights, to_uint8
from vjengine.render.backends.cache import cache_dir

log = logging.getLogger(__name__)

MIN_CHUNK, MAX_CHUNK = 2, 1 << 20  # the pixel counts a compiled kernel accepts
BUILD_TIMEOUT_S = 900.0


def chunk_rgb(xyr: torch.Tensor, bias: torch.Tensor, coord: torch.Tensor, *weights: torch.Tensor,
              sin: Callable[[torch.Tensor], torch.Tensor] = torch.sin) -> torch.Tensor:
    """uint8 RGB [n, 3] for pixels xyr [n, 3]; weights are kernel_weights(...) of one style.

    Layer 1's K=3 product is written as three broadcast multiply-adds so that a compiler fuses
    it with the bias and the sine into one loop; the output layer multiplies by [3, width].T,
    which the matrix library runs ~3x faster than a [width, 3] operand.
    """
    *layers, out_weight, out_bias = weights
    h = sin(bias + xyr[:, 0:1] * coord[0] + xyr[:, 1:2] * coord[1] + xyr[:, 2:3] * coord[2])
    for i in range(0, len(layers), 2):
        h = sin(torch.addmm(layers[i + 1], h, layers[i]))
    return to_uint8(torch.sigmoid(torch.addmm(out_bias, h, out_weight.T)))


def kernel_weights(weights: FoldedWeights) -> list[torch.Tensor]:
    """A style's per-chunk inputs after xyr, bias and coord: each hidden (w, b), then out (w, b)."""
    flat = [t for pair in weights.hidden for t in pair]
    return flat + list(weights.out)


class EagerKernel:
    """chunk_rgb op by op with torch.sin: the start-up and fallback path (its ops release the GIL too)."""

    source = "eager"

    def __call__(self, xyr, bias, coord, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        with torch.no_grad():
            return chunk_rgb(xyr, bias, coord, *weights)


class CompiledKernel:
    """A loaded AOTInductor package of chunk_rgb with the fast sine; callable from any thread."""

    source = "compiled"

    def __init__(self, path: Path, runners: int):
        # torch's own loader, without torch._inductor.package.load_package's wrapper: importing
        # that imports the whole compiler (seconds of CPU time) just to load a file in milliseconds.
        self.path = path
        self._loader = torch._C._aoti.AOTIModelPackageLoader(str(path), "model", False, max(1, runners), -1)

    def __call__(self, xyr, bias, coord, weights: Sequence[torch.Tensor]) -> torch.Tensor:
        return self._loader.boxed_run([xyr, bias, coord, *weights])[0]


class _ChunkModule(torch.nn.Module):
    """chunk_rgb with the fast sine, as a module torch.export can trace."""

    def forward(self, xyr, bias, coord, *weights):
        return chunk_rgb(xyr, bias, coord, *weights, sin=fastmath.fast_sin)


def package_path(config: CPPNConfig, directory: Path | None = None) -> Path:
    """The cache file for a network shape; its name changes with the code, torch and the CPU."""
    identity = "\n".join([
        torch.__version__, platform.machine(), torch.backends.cpu.get_cpu_capability(),
        f"{config.width} {config.depth} {config.cond_size}",
        inspect.getsource(sys.modules[__name__]), inspect.getsource(fastmath), inspect.getsource(to_uint8),
    ])
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    name = f"cppn-w{config.width}-d{config.depth}-c{config.cond_size}-{digest}.pt2"
    return (directory or cache_dir()) / "cpu-kernels" / name


def build_package(config: CPPNConfig, path: Path) -> Path:
    """Export and compile the kernel for this network shape into path (written atomically)."""
    from vjengine.model.cppn import CPPN

    example = FoldedWeights.from_model(CPPN(config, seed=0))
    rows = 64
    args = (torch.zeros(rows, COORD_SIZE), example.bias, example.coord, *kernel_weights(example))
    pixels = torch.export.Dim("pixels", min=MIN_CHUNK, max=MAX_CHUNK)
    shapes = ({0: pixels}, None, None, (None,) * (len(args) - 3))
    with torch.no_grad():
        program = torch.export.export(_ChunkModule(), args, dynamic_shapes=shapes)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
        staged = Path(scratch) / path.name
        # One thread per kernel call: parallelism comes from running chunks side by side.
        torch._inductor.aoti_compile_and_package(
            program, package_path=str(staged), inductor_configs={"cpp.threads": 1})
        os.replace(staged, path)
    return path


def build_in_child(config: CPPNConfig, path: Path, timeout: float = BUILD_TIMEOUT_S) -> Path:
    """build_package in a child Python process; raises RuntimeError with its last output line."""
    command = [sys.executable, "-m", __name__, str(config.width), str(config.depth),
               str(config.cond_size), str(path)]
    package_root = str(Path(vjengine.__file__).resolve().parent.parent)  # this vjengine, not another
    search_path = [package_root, os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, search_path))}
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    if done.returncode != 0 or not path.exists():
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"kernel build exited {done.returncode}: {lines[-1] if lines else 'no output'}")
    return path


def load_or_build(config: CPPNConfig, runners: int, directory: Path | None = None) -> CompiledKernel:
    """The compiled kernel for this shape: from the cache, else built in a child process first."""
    path = package_path(config, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        log.info("compiling the CPU kernel for width %d depth %d (once; cached in %s)",
                 config.width, config.depth, path.parent)
        build_in_child(config, path)
    try:
        return CompiledKernel(path, runners)
    except RuntimeError:
        log.warning("cached CPU kernel %s does not load; rebuilding it", path)
        path.unlink(missing_ok=True)
        build_in_child(config, path)
        return CompiledKernel(path, runners)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the compiled CPU kernel for one CPPN shape.")
    parser.add_argument("width", type=int)
    parser.add_argument("depth", type=int)
    parser.add_argument("cond_size", type=int)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    build_package(CPPNConfig(width=args.width, depth=args.depth, cond_size=args.cond_size), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
