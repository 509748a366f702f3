"""Section boundaries of generated songs with known structure, through the real analysis."""

from __future__ import annotations

import mir_eval
import numpy as np
import pytest

from vjengine.demo import sectioned_song
from vjengine.audio.analysis import Analyzer
from vjengine.audio.structure import energy_class


def analysed_sections(samples: np.ndarray) -> list[tuple[float, str, float]]:
    """(start, kind, confirmed time) of every boundary the analysis reported, hop by hop."""
    analyzer = Analyzer()
    hop = analyzer.config.hop_size
    found, section = [], 0
    for i in range(len(samples) // hop):
        features = analyzer.process(samples[i * hop:(i + 1) * hop])
        if features.section != section:
            section = features.section
            found.append((features.section_start, features.section_kind, features.t))
    return found


@pytest.fixture(scope="module")
def song():
    samples, starts = sectioned_song(bpm=124.0)
    return samples, starts, analysed_sections(samples)


def test_every_boundary_is_found_within_one_bar(song):
    _, starts, found = song
    bar = 4 * 60.0 / 124.0
    estimated = [start for start, _, _ in found]
    for truth in starts:
        assert min(abs(truth - e) for e in estimated) <= bar, (truth, estimated)
    duration = starts[-1] + 40.0
    f, _, _ = mir_eval.segment.detection(_intervals(starts, duration), _intervals(estimated, duration),
                                         window=3.0, trim=True)
    assert f >= 0.8


def test_drops_and_breakdowns_are_named_and_confirmed_within_a_second(song):
    _, starts, found = song
    by_truth = {truth: min(found, key=lambda b: abs(b[0] - truth)) for truth in starts}
    drops = [starts[2], starts[4]]  # build -> drop, breakdown -> drop
    assert [by_truth[t][1] for t in drops] == ["drop", "drop"]
    assert by_truth[starts[3]][1] == "breakdown"
    for truth in drops:
        assert by_truth[truth][2] - truth <= 1.0


def test_a_steady_groove_has_no_boundary():
    from vjengine.demo import drum_loop
    assert analysed_sections(drum_loop(124.0, 40.0)) == []


@pytest.mark.unit
def test_energy_classes():
    assert [energy_class(level, -10.0) for level in (-30.0, -14.5, -12.0)] == ["low", "mid", "high"]


def _intervals(starts: list[float], duration: float) -> np.ndarray:
    edges = [0.0, *starts, duration]
    return np.array(list(zip(edges[:-1], edges[1:])))
