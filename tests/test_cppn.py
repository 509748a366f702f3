"""The CPPN contract: shapes, determinism, split layer 1, parameter count, coordinate ranges."""

import math

import pytest
import torch

from vjengine.model import conditioning, coords
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import CPPN, CPPNConfig

pytestmark = pytest.mark.unit


def test_default_config_matches_the_reference_design_size():
    config = CPPNConfig()
    assert (config.width, config.depth, config.cond_size) == (128, 4, conditioning.SIZE)
    assert config.parameter_count == sum(p.numel() for p in CPPN(config).parameters())
    assert abs(config.parameter_count - 51_600) < 500


def test_output_shapes_and_range_single_and_batched_conditioning():
    net = CPPN(seed=0)
    grid = coords.grid(32, 18)
    rgb = net(grid, conditioning.rest_state())
    assert rgb.shape == (32 * 18, 3)
    assert rgb.min() >= 0 and rgb.max() <= 1
    batch = net(grid, conditioning.sample(4))
    assert batch.shape == (4, 32 * 18, 3)


def test_same_seed_same_weights_and_pixels():
    a, b, c = CPPN(seed=5), CPPN(seed=5), CPPN(seed=6)
    grid, cond = coords.grid(16, 16), conditioning.rest_state()
    assert torch.equal(a(grid, cond), b(grid, cond))
    assert not torch.equal(a(grid, cond), c(grid, cond))


@pytest.mark.parametrize("config", [CPPNConfig(), CPPNConfig(width=48, depth=3, frequency=2.5)])
def test_split_layer_one_equals_the_unsplit_network(config):
    net = CPPN(config, seed=3)
    grid, cond = coords.grid(40, 30), conditioning.sample(3)
    split = net.forward_split(net.pixel_term(grid), net.frame_bias(cond))
    assert torch.allclose(split, net(grid, cond), atol=1e-6)
    one = net.forward_split(net.pixel_term(grid), net.frame_bias(cond[0]))
    assert torch.allclose(one, net(grid, cond[0]), atol=1e-6)


def test_coordinates_span_minus_pi_to_pi_on_the_short_side():
    grid = coords.grid(64, 64)
    x, y, r = grid.T
    assert math.isclose(x.min().item(), -math.pi, abs_tol=0.06) and math.isclose(x.max().item(), math.pi, abs_tol=0.06)
    assert math.isclose(y.max().item(), math.pi, abs_tol=0.06)
    assert r.min() >= 0 and r.max() <= math.pi + 1e-5
    wide = coords.grid(128, 64)
    assert wide[:, 1].abs().max() < math.pi and wide[:, 0].abs().max() > math.pi  # no stretching


def test_transforms_zoom_and_mirror_fold():
    base = coords.grid(20, 20)
    zoomed = coords.grid(20, 20, CoordinateTransform(zoom=2.0))
    assert torch.allclose(zoomed[:, :2], base[:, :2] / 2, atol=1e-6)
    mirrored = coords.grid(20, 20, CoordinateTransform(symmetry=1)).reshape(20, 20, 3)
    assert torch.allclose(mirrored, mirrored.flip(1), atol=1e-6)
    kaleido = coords.grid(41, 41, CoordinateTransform(symmetry=6))
    assert kaleido[:, 2].max() <= math.pi + 1e-5


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="frequency"):
        CPPNConfig(frequency=float("nan"))
    with pytest.raises(ValueError, match="unknown"):
        CPPNConfig.from_dict({"width": 8, "layers": 3})


def test_conditioning_samples_stay_in_the_live_range():
    c = conditioning.sample(500, torch.Generator().manual_seed(0))
    lo = torch.tensor([s.lo for s in conditioning.LAYOUT])
    hi = torch.tensor([s.hi for s in conditioning.LAYOUT])
    assert (c >= lo).all() and (c <= hi).all()
    i, j = conditioning.INDEX["beat_sin"], conditioning.INDEX["beat_cos"]
    assert torch.allclose(c[:, i] ** 2 + c[:, j] ** 2, torch.ones(500), atol=1e-5)
    assert torch.equal(conditioning.fixed_states(), conditioning.fixed_states())
