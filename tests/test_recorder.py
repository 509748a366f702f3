"""The recording's size: chosen, or the output's scaled down to RECORD_WIDTH."""

import pytest

from vjengine.config import EngineConfig
from vjengine.errors import InputError
from vjengine.render.recorder import RECORD_WIDTH, record_size


@pytest.mark.unit
@pytest.mark.parametrize(("output", "chosen", "expected"), [
    ((1280, 720), None, (640, 360)),
    ((1920, 1080), None, (640, 360)),
    ((1024, 768), None, (640, 480)),
    ((320, 180), None, (320, 180)),  # never scaled up
    ((1280, 720), (1280, 720), (1280, 720)),
])
def test_record_size_is_the_chosen_or_the_output_scaled_to_the_record_width(output, chosen, expected):
    size = record_size(output, chosen)
    assert size == expected and size[0] <= max(RECORD_WIDTH, output[0]) and size[0] % 2 == size[1] % 2 == 0


@pytest.mark.unit
def test_record_size_in_a_config_is_checked():
    assert EngineConfig(record_size=[480, 270]).record_size == (480, 270)
    with pytest.raises(InputError, match="641x360: h264 needs even"):
        EngineConfig(record_size=(641, 360))
    with pytest.raises(InputError, match="expected"):
        EngineConfig(record_size=(8, 8))
