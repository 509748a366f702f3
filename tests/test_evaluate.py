"""CPPN backends: the CPU fast path draws the reference picture, for crossfades and morphs too."""

import numpy as np
import pytest
import torch

from vjengine.audio.features import AudioFeatures
from vjengine.control.params import ParamState
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import CPPNConfig
from vjengine.modulate import FrameInputs, PostParams, modulate
from vjengine.render.evaluate import CPUBackend, FoldedWeights, ReferenceBackend
from vjengine.render.fastmath import fast_sin


def frame(conditioning, transform=CoordinateTransform()):
    return FrameInputs(t=0.0, conditioning=tuple(conditioning), transform=transform, crossfade=0.0,
                       post=PostParams())


def max_diff(a, b):
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def test_fast_sin_matches_sin():
    x = torch.linspace(-60, 60, 200_001)
    assert (fast_sin(x) - torch.sin(x)).abs().max() < 1e-5


@pytest.mark.parametrize("compile", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("size", [(64, 36), (97, 31)])
def test_cpu_backend_matches_reference_within_one_level(make_style, compile, size):
    style = make_style("s", seed=11, config=CPPNConfig(frequency=1.7))
    reference, cpu = ReferenceBackend(), CPUBackend(chunk=1024, compile=compile)
    features = AudioFeatures(t=2.0, rms=0.3, bass_att=1.8, onset_t=1.95, beat_t=1.9, bpm=128.0)
    inputs = modulate(features, {**ParamState().current, "symmetry": 3.0, "zoom": 1.3}, 2.0)
    (want,) = reference.evaluate([reference.prepare(style)], *size, inputs)
    (got,) = cpu.evaluate([cpu.prepare(style)], *size, inputs)
    assert got.shape == (size[1], size[0], 3) and got.dtype == np.uint8
    assert max_diff(got, want) <= 1
    assert want.std() > 5  # a picture, not a flat field


def test_two_styles_in_one_call_equal_each_alone(make_style):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    cpu = CPUBackend(compile=False)
    inputs = frame([0.3] * 9)
    both = cpu.evaluate([cpu.prepare(a), cpu.prepare(b)], 48, 27, inputs)
    assert np.array_equal(both[0], cpu.evaluate([cpu.prepare(a)], 48, 27, inputs)[0])
    assert np.array_equal(both[1], cpu.evaluate([cpu.prepare(b)], 48, 27, inputs)[0])
    assert max_diff(both[0], both[1]) > 50


def test_weight_morph_ends_are_the_styles(make_style):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    cpu = CPUBackend(compile=False)
    fa, fb = cpu.prepare(a), cpu.prepare(b)
    inputs = frame([0.1] * 9)
    ends = [cpu.evaluate([fa.morph(fb, w)], 32, 32, inputs)[0] for w in (0.0, 1.0)]
    assert np.array_equal(ends[0], cpu.evaluate([fa], 32, 32, inputs)[0])
    assert np.array_equal(ends[1], cpu.evaluate([fb], 32, 32, inputs)[0])
    with pytest.raises(ValueError, match="equal configs"):
        fa.morph(FoldedWeights.from_model(make_style("c", config=CPPNConfig(width=32)).model()), 0.5)


def test_conditioning_changes_the_picture(make_style):
    style = make_style("s", seed=3)
    cpu = CPUBackend(compile=False)
    folded = cpu.prepare(style)
    quiet = cpu.evaluate([folded], 64, 36, frame([0, 1, 0, 1, 0.5, 0.5, 0.5, 0, 0]))[0]
    loud = cpu.evaluate([folded], 64, 36, frame([0, 1, 0, 1, 1.0, 0.5, 0.5, 1, 1]))[0]
    assert np.abs(quiet.astype(int) - loud.astype(int)).mean() > 3
