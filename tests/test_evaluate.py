"""CPPN backends: the CPU fast path draws the reference picture, for crossfades and morphs too."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from tests.conftest import need_program
from vjengine.audio.features import AudioFeatures
from vjengine.control.params import ParamState
from vjengine.errors import InputError
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import CPPNConfig
from vjengine.modulate import FrameInputs, PostParams, modulate
from vjengine.render.backends.cpu import chunk_spans
from vjengine.render.backends.cpu_kernel import package_path
from vjengine.render.evaluate import CPUBackend, FoldedWeights, ReferenceBackend, cuda_available, make_backend
from vjengine.render.fastmath import fast_sin


def frame(conditioning, transform=CoordinateTransform()):
    return FrameInputs(t=0.0, conditioning=tuple(conditioning), transform=transform, xfade=0.0,
                       post=PostParams())


def live_frame(t=2.0, **params):
    features = AudioFeatures(t=t, rms=0.3, bass_att=1.8, onset_t=t - 0.05, beat_t=t - 0.1, bpm=128.0)
    return modulate(features, {**ParamState().current, **params}, t)


def max_diff(a, b):
    return int(np.abs(a.astype(int) - b.astype(int)).max())


@pytest.fixture(scope="module")
def kernel_cache(tmp_path_factory):
    """One kernel cache for the module, so the compiled kernel is built once."""
    return tmp_path_factory.mktemp("kernels")


@pytest.fixture
def cpu_eager():
    with CPUBackend(compile=False) as backend:
        yield backend


@pytest.mark.unit
def test_fast_sin_matches_sin():
    x = torch.linspace(-60, 60, 200_001)
    assert (fast_sin(x) - torch.sin(x)).abs().max() < 1e-5


@pytest.mark.parametrize("pixels, chunk, workers", [(57600, 2048, 2), (100, 2048, 4), (7, 2, 3),
                                                    (3, 2048, 2), (1, 16, 2), (4096, 1024, 1)])
@pytest.mark.unit
def test_chunk_spans_cover_every_pixel_once_in_bounded_chunks(pixels, chunk, workers):
    spans = chunk_spans(pixels, chunk, workers)
    assert spans[0][0] == 0 and spans[-1][1] == pixels
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
    sizes = [stop - start for start, stop in spans]
    assert max(sizes) <= max(chunk, 3)  # chunks of 2 pixels may grow to 3 to keep the minimum
    assert pixels < 2 or min(sizes) >= 2
    assert len(spans) >= min(workers, pixels // 2)


@pytest.mark.parametrize("size", [(64, 36), (97, 31)])
def test_cpu_eager_path_matches_reference_within_one_level(make_style, cpu_eager, size):
    style = make_style("s", seed=11, config=CPPNConfig(frequency=1.7))
    reference = ReferenceBackend()
    inputs = live_frame(symmetry=3.0, zoom=1.3)
    (want,) = reference.evaluate([reference.prepare(style)], *size, inputs)
    (got,) = cpu_eager.evaluate([cpu_eager.prepare(style)], *size, inputs)
    assert got.shape == (size[1], size[0], 3) and got.dtype == np.uint8
    assert max_diff(got, want) <= 1
    assert want.std() > 5  # a picture, not a flat field


def test_compiled_kernel_builds_caches_and_matches_reference(make_style, kernel_cache):
    need_program(os.environ.get("CXX", "g++"))  # the compiler torch's inductor calls
    style = make_style("s", seed=11, config=CPPNConfig(frequency=1.7))
    reference = ReferenceBackend()
    with CPUBackend(chunk=1024, cache_dir=kernel_cache) as cpu:
        folded = cpu.prepare(style)
        assert cpu.wait_compiled(timeout=900)
        assert cpu.kernel_source(folded.config) == "compiled"
        for size, params in [((97, 31), {"symmetry": 3.0, "zoom": 1.3}), ((160, 90), {"symmetry": 0.0})]:
            inputs = live_frame(**params)
            (want,) = reference.evaluate([reference.prepare(style)], *size, inputs)
            (got,) = cpu.evaluate([folded], *size, inputs)
            assert max_diff(got, want) <= 1
    package = package_path(style.config, kernel_cache)
    built = package.stat().st_mtime_ns
    with CPUBackend(cache_dir=kernel_cache) as again:  # a second start loads the cached kernel
        again.prepare(style)
        assert again.wait_compiled(timeout=60) and again.kernel_source(style.config) == "compiled"
    assert package.stat().st_mtime_ns == built
    # Loading the cached kernel must not import the compiler: a show's first picture waits for it.
    probe = ("import sys, torch; from vjengine.render.backends.cpu_kernel import CompiledKernel; "
             f"kernel = CompiledKernel(__import__('pathlib').Path({str(package)!r}), 2); "
             "print('torch._inductor' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert loaded.stdout.strip() == "False", loaded.stderr[-2000:]


def test_failed_kernel_build_falls_back_to_the_eager_path(make_style, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    style = make_style("s", seed=4)
    with caplog.at_level(logging.WARNING), CPUBackend(cache_dir=blocked) as cpu:
        folded = cpu.prepare(style)
        assert not cpu.wait_compiled(timeout=60)
        assert cpu.kernel_source(folded.config) == "eager"
        reference = ReferenceBackend()
        inputs = frame([0.2] * 9)
        (want,) = reference.evaluate([reference.prepare(style)], 40, 30, inputs)
        assert max_diff(cpu.evaluate([folded], 40, 30, inputs)[0], want) <= 1
    assert "using the eager path" in caplog.text


def test_moving_transform_redraws_the_coordinates(make_style, cpu_eager):
    style = make_style("s", seed=5)
    reference = ReferenceBackend()
    net, folded = reference.prepare(style), cpu_eager.prepare(style)
    pictures = []
    for zoom, rotation in [(1.0, 0.0), (1.0, 0.0), (1.4, 0.3), (1.0, 0.0)]:
        inputs = frame([0.3] * 9, CoordinateTransform(zoom=zoom, rotation=rotation))
        (got,) = cpu_eager.evaluate([folded], 48, 27, inputs)
        assert max_diff(got, reference.evaluate([net], 48, 27, inputs)[0]) <= 1
        pictures.append(got)
    assert max_diff(pictures[0], pictures[2]) > 20
    assert np.array_equal(pictures[0], pictures[3])


def test_cpu_backend_holds_torch_to_one_thread_until_closed():
    before = torch.get_num_threads()
    backend = CPUBackend(compile=False, workers=2)
    assert torch.get_num_threads() == 1
    backend.close()
    backend.close()
    assert torch.get_num_threads() == before


def test_two_styles_in_one_call_equal_each_alone(make_style, cpu_eager):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    inputs = frame([0.3] * 9)
    both = cpu_eager.evaluate([cpu_eager.prepare(a), cpu_eager.prepare(b)], 48, 27, inputs)
    assert np.array_equal(both[0], cpu_eager.evaluate([cpu_eager.prepare(a)], 48, 27, inputs)[0])
    assert np.array_equal(both[1], cpu_eager.evaluate([cpu_eager.prepare(b)], 48, 27, inputs)[0])
    assert max_diff(both[0], both[1]) > 50


def test_weight_morph_ends_are_the_styles(make_style, cpu_eager):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    fa, fb = cpu_eager.prepare(a), cpu_eager.prepare(b)
    inputs = frame([0.1] * 9)
    ends = [cpu_eager.evaluate([fa.morph(fb, w)], 32, 32, inputs)[0] for w in (0.0, 1.0)]
    assert np.array_equal(ends[0], cpu_eager.evaluate([fa], 32, 32, inputs)[0])
    assert np.array_equal(ends[1], cpu_eager.evaluate([fb], 32, 32, inputs)[0])
    with pytest.raises(ValueError, match="equal configs"):
        fa.morph(FoldedWeights.from_model(make_style("c", config=CPPNConfig(width=32)).model()), 0.5)


def test_conditioning_changes_the_picture(make_style, cpu_eager):
    folded = cpu_eager.prepare(make_style("s", seed=3))
    quiet = cpu_eager.evaluate([folded], 64, 36, frame([0, 1, 0, 1, 0.5, 0.5, 0.5, 0, 0]))[0]
    loud = cpu_eager.evaluate([folded], 64, 36, frame([0, 1, 0, 1, 1.0, 0.5, 0.5, 1, 1]))[0]
    assert np.abs(quiet.astype(int) - loud.astype(int)).mean() > 3


@pytest.mark.skipif(cuda_available(), reason="this machine has a GPU: auto picks cuda")
def test_auto_backend_is_the_cpu_without_a_gpu_and_says_so(caplog):
    with caplog.at_level(logging.INFO, logger="vjengine.render.evaluate"), make_backend("auto") as backend:
        assert backend.name == "cpu"
    assert "backend auto: cpu" in caplog.text


@pytest.mark.unit
def test_unknown_or_unavailable_backend_is_a_one_line_input_error():
    with pytest.raises(InputError, match="expected auto or one of cuda, glsl, cpu, reference"):
        make_backend("tpu")
    if not cuda_available():
        with pytest.raises(InputError, match="no NVIDIA GPU"):
            make_backend("cuda")
