#!/usr/bin/env python3
"""Score the engine's causal beat trackers against annotated recordings with mir_eval.

Every audio file in DIR with a NAME.beats beside it (one time in seconds per line, '#' comments)
is analysed by the same code as `vjengine analyze` (vjengine.audio.timeline.analyze_samples), once
per tracker. Optional NAME.onsets and NAME.bpm (the tempo at the end of the file) add the onset and
tempo columns; without NAME.bpm the reference tempo is the median inter-beat interval.

Columns (mir_eval, the first 5 s of annotations and estimates are trimmed as mir_eval.beat does):
  F      beat F-measure, 70 ms window          CMLt/AMLt  continuity, correct / any metrical level
  Acc1   final tempo within 4% of the truth    Acc2       the same allowing x2, x1/2, x3, x1/3
  OnsF   onset F-measure, 50 ms window         CPU        tracker CPU ms per audio second
                                                          (all: the whole analysis)

Usage: python tools/eval_beats.py DIR [--trackers beatroot aubio] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mir_eval
import numpy as np

from vjengine.audio.analysis import TRACKERS, AnalysisConfig
from vjengine.audio.filesource import decode
from vjengine.audio.timeline import analyze_samples

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aif", ".aiff", ".au")
BEAT_WINDOW, ONSET_WINDOW, TEMPO_TOLERANCE = 0.07, 0.05, 0.04
METRICS = ("F", "CMLt", "AMLt", "Acc1", "Acc2", "OnsF", "CPU", "CPUall")


def read_times(path: Path) -> np.ndarray:
    """Times (s) from a text file: the first number of each line, '#' lines skipped."""
    values = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            values.append(float(line.replace(",", " ").split()[0]))
    return np.array(values, dtype=float)


def reference_tempo(audio: Path, beats: np.ndarray) -> float:
    """The .bpm file's value, else 60 / median inter-beat interval."""
    bpm_path = audio.with_suffix(".bpm")
    if bpm_path.is_file():
        return float(read_times(bpm_path)[-1])
    return 60.0 / float(np.median(np.diff(beats))) if len(beats) > 1 else float("nan")


def tempo_accuracy(estimate: float, reference: float) -> tuple[float, float]:
    """(Acc1, Acc2): estimate within 4% of reference; the same allowing octave and triple errors."""
    def close(factor):
        return abs(estimate - factor * reference) <= TEMPO_TOLERANCE * factor * reference

    return float(close(1.0)), float(any(close(f) for f in (1.0, 2.0, 0.5, 3.0, 1.0 / 3.0)))


def score(audio: Path, samples: np.ndarray, tracker: str) -> dict:
    """All metrics of one tracker on one annotated file."""
    timeline = analyze_samples(samples, AnalysisConfig(tracker=tracker))
    reference = read_times(audio.with_suffix(".beats"))
    ref = mir_eval.beat.trim_beats(np.sort(reference))
    est = mir_eval.beat.trim_beats(np.sort(np.array(timeline.beats, dtype=float)))
    _, cml_t, _, aml_t = mir_eval.beat.continuity(ref, est)
    acc1, acc2 = tempo_accuracy(timeline.bpm, reference_tempo(audio, reference))
    onsets_path = audio.with_suffix(".onsets")
    onset_f = float("nan")
    if onsets_path.is_file():
        onset_f = mir_eval.onset.f_measure(read_times(onsets_path), np.array(timeline.onsets),
                                           window=ONSET_WINDOW)[0]
    return {
        "F": mir_eval.beat.f_measure(ref, est, f_measure_threshold=BEAT_WINDOW),
        "CMLt": cml_t, "AMLt": aml_t, "Acc1": acc1, "Acc2": acc2, "OnsF": onset_f,
        "CPU": 1000.0 * timeline.tracker_cpu_seconds / timeline.duration,
        "CPUall": 1000.0 * timeline.cpu_seconds / timeline.duration,
        "bpm": timeline.bpm,
    }


def annotated_audio(folder: Path) -> list[Path]:
    """Audio files in folder that have a .beats file beside them, sorted by name."""
    return sorted(p for p in folder.iterdir()
                  if p.suffix.lower() in AUDIO_SUFFIXES and p.with_suffix(".beats").is_file())


def _row(name: str, results: dict[str, dict], trackers: list[str]) -> str:
    cells = []
    for metric in ("F", "CMLt", "AMLt", "Acc1", "Acc2", "OnsF"):
        cells += [f"{results[t][metric]:>6.3f}" for t in trackers]
    cells += [f"{results[t]['CPU']:>6.2f}" for t in trackers]
    return f"{name:<22} " + " ".join(cells)


def print_table(table: dict[str, dict[str, dict]], trackers: list[str]) -> None:
    width = 7 * len(trackers) - 1
    header = " ".join(f"{m:^{width}}" for m in ("F", "CMLt", "AMLt", "Acc1", "Acc2", "OnsF", "CPU ms/s"))
    print(f"{'':<22} {header}")
    print(f"{'file':<22} " + " ".join(" ".join(f"{t[:6]:>6}" for t in trackers) for _ in range(7)))
    for name, results in table.items():
        print(_row(name, results, trackers))
    mean = {t: {m: float(np.nanmean([table[n][t][m] for n in table])) for m in METRICS} for t in trackers}
    print(_row("mean", mean, trackers))
    for t in trackers:
        print(f"{t}: whole analysis {mean[t]['CPUall']:.2f} ms CPU per audio second "
              f"({mean[t]['CPU']:.2f} ms in the tracker = {mean[t]['CPU'] / 10:.3f}% of one core)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder of audio files with .beats annotations")
    parser.add_argument("--trackers", nargs="+", choices=sorted(TRACKERS),
                        default=[AnalysisConfig.tracker] + sorted(set(TRACKERS) - {AnalysisConfig.tracker}))
    parser.add_argument("--json", type=Path, help="also write every score to this JSON file")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"eval_beats: {args.dir}: not a folder", file=sys.stderr)
        return 2
    files = annotated_audio(args.dir)
    if not files:
        print(f"eval_beats: {args.dir}: no audio file with a .beats file beside it", file=sys.stderr)
        return 2
    config = AnalysisConfig()
    table = {}
    for audio in files:
        samples = decode(audio, config.samplerate)
        table[audio.stem] = {t: score(audio, samples, t) for t in args.trackers}
    print_table(table, args.trackers)
    if args.json:
        args.json.write_text(json.dumps(table, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
