"""Frame statistics: the intervals since a frame count, for the telemetry log's per-frame times."""

import pytest

from vjengine.show.telemetry import FrameStats

pytestmark = pytest.mark.unit


def test_since_returns_the_intervals_of_the_frames_after_a_count():
    stats = FrameStats(window=4)
    for i in range(6):
        stats.add(0.01 * (i + 1), 0.001, 1.0)
    assert stats.since(4) == [0.05, 0.06]
    assert stats.since(0) == [0.03, 0.04, 0.05, 0.06]  # no more than the window holds
    assert stats.since(6) == []
