"""The audio ring: exact hops in order, wrap-around, and overruns skipped and counted."""

import numpy as np
import pytest

from vjengine.audio.ring import Ring

pytestmark = pytest.mark.unit


def frames(start: int, count: int, channels: int = 2) -> np.ndarray:
    """Frames whose every sample is its frame number, so any reordering shows."""
    return np.repeat(np.arange(start, start + count, dtype=np.float32)[:, None], channels, axis=1)


def test_hops_come_out_in_order_across_the_wrap():
    ring, hop = Ring(10, 2), np.zeros((4, 2), np.float32)
    written = 0
    for block in (3, 3, 4, 4, 2, 4):
        ring.write(frames(written, block))
        written += block
        while ring.read_into(hop):
            assert hop[:, 0].tolist() == list(range(ring.read - 4, ring.read))
    assert ring.read == 20 and ring.available() == 0 and ring.overruns == 0


def test_reading_waits_for_a_whole_hop():
    ring, hop = Ring(16, 1), np.zeros((8, 1), np.float32)
    ring.write(frames(0, 7, 1))
    assert not ring.read_into(hop) and ring.read == 0
    ring.write(frames(7, 1, 1))
    assert ring.read_into(hop) and hop[:, 0].tolist() == list(range(8))


def test_a_lapped_reader_skips_to_fresh_audio_and_counts_an_overrun():
    ring, hop = Ring(16, 1), np.zeros((4, 1), np.float32)
    for start in range(0, 40, 8):
        ring.write(frames(start, 8, 1))
    assert ring.read_into(hop) and ring.overruns == 1
    assert hop[0, 0] == 40 - 16 // 2  # half a ring behind the writer
    assert ring.read_into(hop) and ring.overruns == 1


def test_a_block_larger_than_the_ring_keeps_its_newest_frames():
    ring, hop = Ring(8, 1), np.zeros((2, 1), np.float32)
    ring.write(frames(0, 20, 1))
    assert ring.written == 8  # only the last 8 frames went in
    assert ring.read_into(hop) and ring.overruns == 1 and hop[:, 0].tolist() == [16, 17]
