"""The CUDA backend: fp16 weights, all styles of a frame in one batched pass, replayed as a CUDA graph.

Per frame the host sends only the coordinate transform's scalars and the conditioning vector;
the coordinates are computed on the GPU, both styles of a crossfade go through one batched
matmul per layer, and the uint8 pictures come back through pinned host memory. The device and
dtype are parameters, so the same code runs, and is tested, on the CPU in fp32 or fp16.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial

import torch

from vjengine.model import coords
from vjengine.model.coords import CoordinateTransform
from vjengine.render.backends.base import Backend, FoldedWeights, to_uint8
from vjengine.render.backends.cache import cache_dir

log = logging.getLogger(__name__)

OUT_COLUMNS = 8  # the output layer padded from 3 to 8 columns: fp16 tensor cores want multiples of 8


def batched_rgb(xyr: torch.Tensor, bias: torch.Tensor, coord: torch.Tensor, *weights: torch.Tensor,
                fused_first_layer: bool = False) -> torch.Tensor:
    """uint8 RGB [B, n, 3] for pixels xyr [n, 3] under B styles' stacked weights (see stack()).

    Layer 1 runs in float32: as one batched matmul in eager mode, or, for a compiler, as three
    broadcast multiply-adds that fuse with the bias, sine and cast into one pass. The hidden and
    output layers run in the weights' dtype as batched matmuls.
    """
    *layers, out_weight, out_bias = weights
    if fused_first_layer:
        z = (bias + xyr[:, 0:1] * coord[:, 0:1] + xyr[:, 1:2] * coord[:, 1:2]
             + xyr[:, 2:3] * coord[:, 2:3])
    else:
        z = torch.baddbmm(bias, xyr.expand(coord.shape[0], -1, -1), coord)
    h = torch.sin(z).to(out_weight.dtype)
    for i in range(0, len(layers), 2):
        h = torch.sin(torch.baddbmm(layers[i + 1], h, layers[i]))
    logits = torch.baddbmm(out_bias, h, out_weight)[..., :3]
    return to_uint8(torch.sigmoid(logits.float()))


def stack(styles: Sequence[FoldedWeights]) -> list[torch.Tensor]:
    """Styles of one network shape as batched tensors: the cond weights [B, C, W] and bias
    [B, 1, W] for the frame bias, then coord [B, 3, W] and batched_rgb's weights."""
    def batch(tensors):
        return torch.stack(list(tensors)).contiguous()

    out_weight = batch(s.out[0].T for s in styles)  # [B, W, 3]
    out_bias = batch(s.out[1] for s in styles)[:, None, :]
    pad = OUT_COLUMNS - out_weight.shape[-1]
    stacked = [batch(s.cond for s in styles), batch(s.bias for s in styles)[:, None, :],
               batch(s.coord for s in styles)]
    for i in range(len(styles[0].hidden)):
        stacked += [batch(s.hidden[i][0] for s in styles), batch(s.hidden[i][1] for s in styles)[:, None, :]]
    stacked += [torch.nn.functional.pad(out_weight, (0, pad)).contiguous(),
                torch.nn.functional.pad(out_bias, (0, pad)).contiguous()]
    return stacked


class FrameRunner:
    """Static buffers for one (network shape, batch, resolution) and, on CUDA, the captured graph.

    run() reads `xyr`, `cond` and `weights` and writes `out`; callers fill the inputs in place,
    so a captured graph replays the whole frame with one launch. `loaded` and `transform` say
    which styles and which coordinate transform the inputs hold.
    """

    def __init__(self, network: Callable, weights: list[torch.Tensor], pixels: int, chunk: int):
        first = weights[0]
        self.network = network
        self.chunk = chunk
        self.xyr = torch.zeros(pixels, 3, device=first.device)
        self.cond = torch.zeros(first.shape[1], device=first.device)
        self.weights = [w.clone() for w in weights]
        self.out = torch.zeros(first.shape[0], pixels, 3, dtype=torch.uint8, device=first.device)
        self.loaded: tuple[FoldedWeights, ...] = ()
        self.transform: CoordinateTransform | None = None
        self.settled = False
        self.graph: torch.cuda.CUDAGraph | None = None

    def forward(self) -> None:
        cond_weight, bias, coord, *rest = self.weights
        frame_bias = bias + torch.matmul(self.cond, cond_weight)[:, None, :]
        for start in range(0, self.xyr.shape[0], self.chunk):
            stop = start + self.chunk
            self.out[:, start:stop] = self.network(self.xyr[start:stop], frame_bias, coord, *rest)

    def capture(self, pool) -> None:
        """Warm up on a side stream (compiles run here), then record forward() as a CUDA graph."""
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(2):
                self.forward()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=pool):
            self.forward()
        self.graph = graph

    def run(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            self.forward()


class CUDABackend(Backend):
    """FP16 on an NVIDIA GPU: weights cast once, conditioning per frame, one batched pass per frame.

    graphs: replay each frame as a CUDA graph (one per network shape, batch and resolution,
    captured on first use). compile: torch.compile the network so the bias, sine and casts fuse
    into the matmuls' neighbours; if compiling or capturing fails, the backend logs it once and
    carries on without.
    """

    name = "cuda"

    def __init__(self, device: str | torch.device = "cuda", dtype: torch.dtype = torch.float16,
                 chunk: int = 1 << 19, graphs: bool | None = None, compile: bool | None = None,
                 max_runners: int = 6):
        self.device = torch.device(device)
        on_gpu = self.device.type == "cuda"
        self.dtype = dtype
        self.chunk = chunk
        self.graphs = on_gpu if graphs is None else graphs
        self.compile = on_gpu if compile is None else compile
        self.max_runners = max_runners
        if self.compile and on_gpu:  # keep compiled kernels across reboots: a warm start compiles nothing
            os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(cache_dir() / "inductor"))
        self._network: Callable = (torch.compile(partial(batched_rgb, fused_first_layer=True))
                                   if self.compile else batched_rgb)
        self._runners: OrderedDict[tuple, FrameRunner] = OrderedDict()
        # One memory pool for every captured graph: graphs run one at a time on one stream and
        # keep nothing alive in the pool between replays (inputs and outputs are static buffers).
        self._pool = torch.cuda.graph_pool_handle() if self.graphs else None
        self._pinned = on_gpu
        log.debug("CUDA backend on %s: %s, graphs %s, compile %s",
                 torch.cuda.get_device_name(self.device) if on_gpu else self.device,
                 str(dtype).removeprefix("torch."), "on" if self.graphs else "off",
                 "on" if self.compile else "off")

    def prepare(self, style):
        weights = FoldedWeights.from_model(style.model())
        return weights.to(self.device, self.dtype, first_layer_dtype=torch.float32)

    def _runner(self, styles: tuple[FoldedWeights, ...], width: int, height: int) -> FrameRunner:
        key = (styles[0].config, len(styles), width, height)
        runner = self._runners.get(key)
        if runner is None:
            runner = FrameRunner(self._network, stack(styles), width * height, self.chunk)
            runner.loaded = styles
            self._runners[key] = runner
            while len(self._runners) > self.max_runners:
                self._runners.popitem(last=False)
        self._runners.move_to_end(key)
        return runner

    def _load(self, runner: FrameRunner, styles: tuple[FoldedWeights, ...]) -> None:
        """Put these styles' weights into the runner's static buffers (skipped when they are there)."""
        if len(runner.loaded) == len(styles) and all(a is b for a, b in zip(runner.loaded, styles)):
            return
        for static, new in zip(runner.weights, stack(styles)):
            static.copy_(new)
        runner.loaded = styles

    def _settle(self, runner: FrameRunner) -> None:
        """First use of a runner: compile (in the warm-up) and capture, falling back step by step."""
        try:
            if self.graphs:
                runner.capture(self._pool)
            else:
                runner.forward()
            runner.settled = True
            return
        except Exception as exc:  # the show goes on: drop what failed, keep what works
            if self.compile:
                log.warning("torch.compile failed on the CUDA path (%s); using eager kernels", exc)
                self.compile = False
                self._network = batched_rgb
                runner.network = batched_rgb
            elif self.graphs:
                log.warning("CUDA graph capture failed (%s); launching kernels one by one", exc)
                self.graphs = False
            else:
                raise
        runner.graph = None
        self._settle(runner)

    def _evaluate_group(self, styles: tuple[FoldedWeights, ...], width: int, height: int,
                        frame) -> torch.Tensor:
        runner = self._runner(styles, width, height)
        self._load(runner, styles)
        if runner.transform != frame.transform:
            u, v = coords.unit_grid(width, height, self.device, torch.float32)
            runner.xyr.copy_(coords.transform_points(u, v, frame.transform))
            runner.transform = frame.transform
        cond = torch.tensor(frame.conditioning, dtype=torch.float32, pin_memory=self._pinned)
        runner.cond.copy_(cond, non_blocking=self._pinned)
        if not runner.settled:
            self._settle(runner)
        runner.run()
        host = torch.empty(runner.out.shape, dtype=torch.uint8, pin_memory=self._pinned)
        host.copy_(runner.out, non_blocking=self._pinned)
        return host

    def evaluate(self, styles, width, height, frame):
        groups: list[list[FoldedWeights]] = []
        for weights in styles:  # consecutive styles of one network shape share a batch
            if groups and groups[-1][0].config == weights.config:
                groups[-1].append(weights)
            else:
                groups.append([weights])
        with torch.no_grad():
            results = [self._evaluate_group(tuple(group), width, height, frame) for group in groups]
        if self._pinned:
            torch.cuda.current_stream(self.device).synchronize()
        return [picture.reshape(height, width, 3).numpy() for batch in results for picture in batch]

    def close(self) -> None:
        self._runners.clear()


def describe_device() -> str:
    """The GPU torch sees, in words (for logs and benchmark tables)."""
    if not torch.cuda.is_available():
        return "no CUDA device"
    props = torch.cuda.get_device_properties(0)
    return f"{props.name} ({props.total_memory / 2**30:.0f} GiB, sm_{props.major}{props.minor})"

