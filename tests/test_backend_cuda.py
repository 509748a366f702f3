"""The CUDA backend: its batched code path checked on the CPU here, and on a GPU when there is one."""

import os

import numpy as np
import pytest
import torch

from tests.conftest import need_program
from vjengine.model import coords
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import CPPNConfig
from vjengine.modulate import FrameInputs, PostParams
from vjengine.render.backends.cuda import batched_rgb, stack
from vjengine.render.evaluate import CUDABackend, ReferenceBackend, cuda_available

no_gpu = pytest.mark.skipif(not cuda_available(), reason="torch sees no NVIDIA GPU on this machine")


def frame(conditioning=(0.2, 0.9, -0.5, 0.8, 0.7, 0.4, 0.6, 0.3, 0.5), **transform):
    return FrameInputs(t=0.0, conditioning=tuple(conditioning), transform=CoordinateTransform(**transform),
                       xfade=0.5, post=PostParams())


def max_diff(a, b):
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def reference_pictures(styles, width, height, inputs):
    reference = ReferenceBackend()
    return reference.evaluate([reference.prepare(s) for s in styles], width, height, inputs)


@pytest.mark.parametrize("dtype, tolerance", [(torch.float32, 1), (torch.float16, 2)], ids=["fp32", "fp16"])
def test_batched_path_on_cpu_matches_reference(make_style, dtype, tolerance):
    a = make_style("a", seed=11, config=CPPNConfig(frequency=1.7))
    b = make_style("b", seed=12)
    inputs = frame(zoom=1.3, rotation=0.4, symmetry=5)
    backend = CUDABackend(device="cpu", dtype=dtype, chunk=1000)
    got = backend.evaluate([backend.prepare(a), backend.prepare(b)], 97, 31, inputs)
    want = reference_pictures([a, b], 97, 31, inputs)
    assert [g.shape for g in got] == [(31, 97, 3)] * 2 and got[0].dtype == np.uint8
    assert max_diff(got[0], want[0]) <= tolerance and max_diff(got[1], want[1]) <= tolerance
    assert want[0].std() > 5 and max_diff(want[0], want[1]) > 50


def test_batched_styles_equal_each_alone_and_shapes_split_batches(make_style):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    small = make_style("small", seed=3, config=CPPNConfig(width=32, depth=3))
    backend = CUDABackend(device="cpu", dtype=torch.float32)
    fa, fb, fs = (backend.prepare(s) for s in (a, b, small))
    inputs = frame()
    together = backend.evaluate([fa, fb, fs], 40, 30, inputs)
    alone = [backend.evaluate([f], 40, 30, inputs)[0] for f in (fa, fb, fs)]
    assert all(np.array_equal(t, s) for t, s in zip(together, alone))
    assert max_diff(together[2], reference_pictures([small], 40, 30, inputs)[0]) <= 1


def test_runner_reloads_weights_and_coordinates_between_frames(make_style):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    backend = CUDABackend(device="cpu", dtype=torch.float32)
    fa, fb = backend.prepare(a), backend.prepare(b)
    frames = [frame(zoom=1.0), frame(zoom=1.5, rotation=0.3), frame(zoom=1.0)]
    for inputs in frames:
        for style, folded in ((a, fa), (b, fb), (a, fa.morph(fb, 0.0))):
            (got,) = backend.evaluate([folded], 48, 27, inputs)
            assert max_diff(got, reference_pictures([style], 48, 27, inputs)[0]) <= 1
    assert len(backend._runners) == 1  # one static runner served every frame


@no_gpu
@pytest.mark.parametrize("graphs, compile", [(True, True), (True, False), (False, False)],
                         ids=["graphs+compile", "graphs", "eager"])
def test_cuda_picture_matches_reference_within_two_levels(make_style, graphs, compile):
    a = make_style("a", seed=11, config=CPPNConfig(frequency=1.7))
    b = make_style("b", seed=12)
    backend = CUDABackend(graphs=graphs, compile=compile)
    fa, fb = backend.prepare(a), backend.prepare(b)
    assert fa.hidden[0][0].is_cuda and fa.hidden[0][0].dtype == torch.float16
    for size, inputs in [((320, 180), frame(zoom=1.3, symmetry=5)), ((320, 180), frame(rotation=0.7)),
                         ((193, 101), frame(pan_x=0.2))]:
        want = reference_pictures([a, b], *size, inputs)
        (alone,) = backend.evaluate([fa], *size, inputs)
        both = backend.evaluate([fa, fb], *size, inputs)
        assert max_diff(alone, want[0]) <= 2
        assert max_diff(both[0], want[0]) <= 2 and max_diff(both[1], want[1]) <= 2
    backend.close()


def test_fused_first_layer_equals_the_batched_matmul(make_style):
    backend = CUDABackend(device="cpu", dtype=torch.float32)
    stacked = stack([backend.prepare(make_style(s, seed=i)) for i, s in enumerate("ab")])
    cond_weight, bias, coord, *rest = stacked
    xyr = coords.grid(40, 30, CoordinateTransform(rotation=0.5))
    frame_bias = bias + (torch.randn(9) @ cond_weight)[:, None, :]
    eager = batched_rgb(xyr, frame_bias, coord, *rest)
    fused = batched_rgb(xyr, frame_bias, coord, *rest, fused_first_layer=True)
    assert eager.shape == (2, 1200, 3)
    assert max_diff(eager.numpy(), fused.numpy()) <= 1


def test_compiled_network_on_cpu_matches_reference(make_style):
    need_program(os.environ.get("CXX", "g++"))  # the compiler torch's inductor calls
    style = make_style("a", seed=11, config=CPPNConfig(frequency=1.7))
    backend = CUDABackend(device="cpu", dtype=torch.float32, compile=True)
    folded = backend.prepare(style)
    for inputs in (frame(zoom=1.2), frame(rotation=0.9, symmetry=4)):
        (got,) = backend.evaluate([folded], 64, 36, inputs)
        assert max_diff(got, reference_pictures([style], 64, 36, inputs)[0]) <= 1
    assert backend.compile  # compiled, not fallen back to eager
