"""The adaptive render scale changes the CPPN's resolution only when the CPPN is what is slow."""

import pytest

from vjengine.render.adaptive import LADDER, AdaptiveScale

pytestmark = pytest.mark.unit

BUDGET = 1 / 30


def run(adaptive: AdaptiveScale, cppn_ms: float, rest_ms: dict[str, float], seconds: float,
        start: float = 0.0, scales_cppn: bool = True) -> float:
    """Feed `seconds` of 30 fps frames; the CPPN's time follows its pixel count when scales_cppn."""
    t = start
    while t < start + seconds:
        cppn = cppn_ms * (adaptive.scale / 0.25) ** 2 if scales_cppn else cppn_ms
        stages = {"cppn": cppn / 1000, **{name: ms / 1000 for name, ms in rest_ms.items()}}
        adaptive.update(stages, sum(stages.values()), t)
        t += BUDGET
    return t


def test_an_output_bound_frame_keeps_the_cppn_resolution_and_names_the_slow_stage():
    adaptive = AdaptiveScale(30, 0.25)
    run(adaptive, 5.0, {"post": 10.0, "present": 28.0, "swap": 3.0}, 10.0)
    assert adaptive.scale == 0.25 and adaptive.changes == 0
    assert adaptive.output_bound and adaptive.slow_stage[0] == "present"


def test_an_output_bound_frame_still_steps_down_a_cppn_over_its_share_to_the_floor():
    adaptive = AdaptiveScale(30, 0.25)
    run(adaptive, 150.0, {"present": 45.0}, 10.0)
    assert adaptive.output_bound and adaptive.scale == 0.125


def test_a_slow_cppn_steps_down_but_never_below_the_floor():
    adaptive = AdaptiveScale(30, 0.25)
    run(adaptive, 200.0, {"present": 5.0}, 10.0)
    assert adaptive.scale == 0.125 and not adaptive.output_bound  # the default floor: 160x90 of 1280x720
    asked = AdaptiveScale(30, 0.25, floor=0.0625)
    run(asked, 200.0, {"present": 5.0}, 10.0)
    assert asked.scale == LADDER[-1]


def test_the_scale_steps_down_until_the_frame_fits_then_holds():
    adaptive = AdaptiveScale(30, 0.25)
    run(adaptive, 40.0, {"present": 5.0}, 20.0)  # 45 ms at 0.25; 27.5 ms at 0.1875
    assert adaptive.scale == 0.1875 and adaptive.changes == 1


def test_headroom_steps_the_scale_up_after_a_calm_while():
    adaptive = AdaptiveScale(30, 0.25, up_seconds=3.0)
    end = run(adaptive, 2.0, {"present": 5.0}, 2.5)
    assert adaptive.scale == 0.25  # not yet: calm for under up_seconds
    run(adaptive, 2.0, {"present": 5.0}, 3.0, start=end)
    assert adaptive.scale == 0.375


def test_a_fixed_scale_never_changes():
    adaptive = AdaptiveScale(30, 0.3, enabled=False)
    run(adaptive, 200.0, {"present": 5.0}, 5.0)
    assert adaptive.scale == 0.3 and adaptive.changes == 0
