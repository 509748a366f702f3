"""Section boundaries on generated songs with exact ground truth: F at 3 s, lag, energy class, cost per hop."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from vjengine.demo import SECTIONS, sectioned_song  # noqa: E402
from vjengine.audio.analysis import Analyzer  # noqa: E402

ORDERS = {
    "edm": SECTIONS,
    "pop": (("intro", 4, "mid"), ("verse", 8, "high"), ("breakdown", 4, "low"), ("drop", 8, "high"),
            ("build", 4, "mid"), ("drop", 8, "high")),
}


def run(samples: np.ndarray, starts: list[float], sections, bpm: float) -> dict:
    analyzer = Analyzer()
    hop = analyzer.config.hop_size
    truth_class = []
    edges = [0.0, *starts, 1e9]
    found, section, structure_seconds, total_seconds = [], 0, 0.0, 0.0
    original = analyzer.structure.update

    def timed(*args):
        nonlocal structure_seconds
        began = time.perf_counter()
        result = original(*args)
        structure_seconds += time.perf_counter() - began
        return result

    analyzer.structure.update = timed
    classes_right = classes_total = 0
    for i in range(len(samples) // hop):
        began = time.perf_counter()
        features = analyzer.process(samples[i * hop:(i + 1) * hop])
        total_seconds += time.perf_counter() - began
        if features.section != section:
            section = features.section
            found.append((features.section_start, features.t))
        index = next(k for k in range(len(sections)) if edges[k] <= features.t < edges[k + 1])
        truth_class.append(sections[index][2])
        if features.t > 4.0:
            classes_total += 1
            classes_right += features.energy_class == sections[index][2]
    duration = len(samples) / 44100
    reference = np.array(list(zip([0.0, *starts], [*starts, duration])))
    estimated_starts = [s for s, _ in found]
    estimated = np.array(list(zip([0.0, *estimated_starts], [*estimated_starts, duration])))
    f = mir_eval.segment.detection(reference, estimated, window=3.0, trim=True)[0]
    bar = 4 * 60.0 / bpm
    lags, within_bar = [], 0
    for truth in starts:
        near = [(abs(s - truth), c) for s, c in found if abs(s - truth) <= 3.0]
        if near:
            _, confirmed = min(near)
            lags.append(confirmed - truth)
        within_bar += any(abs(s - truth) <= bar for s, _ in found)
    hops = len(samples) // hop
    return {"f": f, "lags": lags, "within_bar": within_bar, "boundaries": len(starts), "found": len(found),
            "class": classes_right / classes_total, "structure_ms": 1000 * structure_seconds / hops,
            "analysis_ms": 1000 * total_seconds / hops, "hop_ms": 1000 * hop / 44100}


def main() -> None:
    rows = []
    for name, sections in ORDERS.items():
        for bpm in (100.0, 124.0, 140.0):
            for seed in (1, 2):
                samples, starts = sectioned_song(bpm, seed, sections)
                row = run(samples, starts, sections, bpm)
                rows.append(row)
                print(f"{name} {bpm:g} BPM seed {seed}: F@3s {row['f']:.2f}, {row['within_bar']}/{row['boundaries']}"
                      f" within a bar, {row['found']} reported, median confirmation lag "
                      f"{statistics.median(row['lags']) if row['lags'] else float('nan'):.2f} s, energy class "
                      f"{row['class']:.0%}, structure {row['structure_ms']:.3f} ms/hop of {row['analysis_ms']:.3f}")
    lags = [lag for row in rows for lag in row["lags"]]
    print(f"mean F@3s {statistics.mean(r['f'] for r in rows):.3f}; within a bar "
          f"{sum(r['within_bar'] for r in rows)}/{sum(r['boundaries'] for r in rows)}; median lag "
          f"{statistics.median(lags):.2f} s; energy class {statistics.mean(r['class'] for r in rows):.0%}; "
          f"structure {statistics.mean(r['structure_ms'] for r in rows):.3f} ms per {rows[0]['hop_ms']:.1f} ms hop "
          f"({100 * statistics.mean(r['structure_ms'] for r in rows) / rows[0]['hop_ms']:.1f}% of a core), "
          f"whole analysis {statistics.mean(r['analysis_ms'] for r in rows):.3f} ms")


if __name__ == "__main__":
    main()
