"""The parameter schema's scaling and smoothing, and the event vocabulary built on it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vjengine.control import events
from vjengine.control.params import PARAMS, SPECS, ParamState

pytestmark = pytest.mark.unit


@given(st.sampled_from(PARAMS), st.floats(0.0, 1.0))
def test_normalised_values_map_onto_the_range_and_back(spec, x):
    value = spec.from_normalised(x)
    assert spec.lo <= value <= spec.hi
    if not spec.integer:
        assert spec.to_normalised(value) == pytest.approx(x, abs=1e-9)


def test_log_curve_and_whole_numbers():
    zoom = SPECS["zoom"]
    assert (zoom.from_normalised(0.0), zoom.from_normalised(0.5), zoom.from_normalised(1.0)) == \
        (pytest.approx(0.25), pytest.approx(1.0), pytest.approx(4.0))
    assert SPECS["kaleido"].from_normalised(0.3) == 4.0  # 3.6 rounds to a whole segment count
    assert SPECS["hue"].from_normalised(7.0) == 1.0 and SPECS["hue"].from_normalised(-1.0) == 0.0


def test_state_sets_nudges_snaps_and_smooths():
    state = ParamState()
    assert state.set("zoom", 100.0) == 4.0
    assert state.nudge("speed", 0.25) == 2.0
    assert state.nudge("speed", 5.0) == 4.0
    with pytest.raises(ValueError):
        state.set_normalised("hue", math.nan)
    with pytest.raises(ValueError):
        state.nudge("hue", math.inf)
    state.snap("hue", 0.5)
    assert state.current["hue"] == state.target["hue"] == 0.5
    before = state.current["zoom"]
    state.advance(SPECS["zoom"].smoothing)  # one time constant: 63% of the way
    assert state.current["zoom"] == pytest.approx(before + (4.0 - before) * (1 - math.exp(-1)))
    state.set("symmetry", 3.0)
    assert state.advance(0.001)["symmetry"] == 3.0  # no smoothing: at once


def test_param_targets_split_into_name_and_mode():
    assert events.split_param_target(events.param_target("zoom")) == ("zoom", "")
    assert events.split_param_target(events.param_target("zoom", "abs")) == ("zoom", "abs")
    assert events.split_param_target("param/pan_x/nudge") == ("pan_x", "nudge")
    assert events.split_param_target("style/a") is None


def test_every_event_target_is_documented_in_the_vocabulary():
    documented = events.__doc__
    parts = ("PARAM_PREFIX", "ABSOLUTE_SUFFIX", "NUDGE_SUFFIX")
    targets = [value for name, value in vars(events).items()
               if name.isupper() and isinstance(value, str) and name not in parts]
    assert {"slot", "tap", "midi/clock", "autopilot", "breed/save"} <= set(targets)  # the scan sees them
    for target in targets:
        assert f"`{target}`" in documented, target
