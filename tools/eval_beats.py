#!/usr/bin/env python3
"""Score the engine's causal beat trackers against annotated recordings with mir_eval.

Every audio file in DIR with a NAME.beats (one time in seconds per line, '#' comments) and/or a
NAME.bpm (the reference tempo; else 60 / the median inter-beat interval) beside it is analysed by
the same code as `vjengine analyze` (vjengine.audio.timeline.analyze_samples), once per tracker.

Columns (mir_eval; the first 5 s of annotations and estimates are trimmed as mir_eval.beat does,
and files with no annotated beat after 5 s get no beat scores):
  F      beat F-measure, 70 ms window          CMLt/AMLt  continuity, correct / any metrical level
  BPM    median tempo published after 5 s      Acc1       BPM within 4% of the reference tempo
  Acc2   the same allowing x2, x1/2, x3, x1/3  First      time of the first beat (s)
  Bias   mean offset (ms) of beats within 70 ms of an annotation (+ = late)
  OnsF   onset F-measure, 50 ms window, where a NAME.onsets is given
  CPU    % of one core the tracker takes (the whole analysis is printed below the table)

`librosa` (offline, whole file at once) can be added as a reference when it is importable; it is
never a dependency of the engine.

Usage: python tools/eval_beats.py DIR [--trackers predictive aubio librosa] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import mir_eval
import numpy as np

from vjengine.audio.analysis import TRACKERS, AnalysisConfig
from vjengine.audio.filesource import decode
from vjengine.audio.timeline import analyze_samples

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aif", ".aiff", ".au")
BEAT_WINDOW, ONSET_WINDOW, TEMPO_TOLERANCE = 0.07, 0.05, 0.04
TRIM_SECONDS = 5.0
OFFLINE = ("librosa",)
COLUMNS = ("F", "CMLt", "AMLt", "BPM", "Acc1", "Acc2", "First", "Bias", "OnsF", "CPU")
FORMATS = {"BPM": "{:>6.1f}", "First": "{:>6.2f}", "Bias": "{:>+6.1f}", "CPU": "{:>6.2f}"}


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


def median_tempo(tempo: list[tuple[float, float]], final: float) -> float:
    """Median of the tempi published with the beats after TRIM_SECONDS (all of them in a short file)."""
    late = [bpm for t, bpm in tempo if t >= TRIM_SECONDS] or [bpm for _, bpm in tempo]
    return float(np.median(late)) if late else final


def timing_bias(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Mean (estimate - nearest annotation) in ms over estimates within the beat window; nan if none."""
    if len(reference) == 0 or len(estimate) == 0:
        return float("nan")
    nearest = reference[np.abs(reference[None, :] - estimate[:, None]).argmin(axis=1)]
    errors = estimate - nearest
    errors = errors[np.abs(errors) <= BEAT_WINDOW]
    return 1000.0 * float(errors.mean()) if len(errors) else float("nan")


def run_librosa(samples: np.ndarray, samplerate: int) -> tuple[np.ndarray, list[tuple[float, float]], float, float]:
    """Offline librosa beats, its global tempo for every beat, and its CPU seconds."""
    import librosa

    start = time.thread_time()
    y = librosa.resample(samples, orig_sr=samplerate, target_sr=22050)
    bpm, frames = librosa.beat.beat_track(y=y, sr=22050, units="frames")
    beats = librosa.frames_to_time(frames, sr=22050)
    bpm = float(np.atleast_1d(bpm)[0])
    return beats, [(float(t), bpm) for t in beats], bpm, time.thread_time() - start


def score(audio: Path, samples: np.ndarray, tracker: str, samplerate: int) -> dict:
    """All metrics of one tracker on one annotated file."""
    duration = len(samples) / samplerate
    if tracker in OFFLINE:
        beats, tempo, final_bpm, cpu = run_librosa(samples, samplerate)
        cpu_all, onsets = cpu, None
    else:
        timeline = analyze_samples(samples, AnalysisConfig(samplerate=samplerate, tracker=tracker))
        beats, tempo, final_bpm = np.array(timeline.beats, dtype=float), timeline.tempo, timeline.bpm
        cpu, cpu_all, onsets = timeline.tracker_cpu_seconds, timeline.cpu_seconds, timeline.onsets
    beats_path = audio.with_suffix(".beats")
    reference = np.sort(read_times(beats_path)) if beats_path.is_file() else np.zeros(0)
    estimate = np.sort(np.asarray(beats, dtype=float))
    ref = mir_eval.beat.trim_beats(reference, TRIM_SECONDS)
    est = mir_eval.beat.trim_beats(estimate, TRIM_SECONDS)
    f = cml_t = aml_t = float("nan")
    if len(ref) >= 2:
        f = mir_eval.beat.f_measure(ref, est, f_measure_threshold=BEAT_WINDOW)
        _, cml_t, _, aml_t = mir_eval.beat.continuity(ref, est) if len(est) >= 2 else (0, 0.0, 0, 0.0)
    onsets_path = audio.with_suffix(".onsets")
    onset_f = float("nan")
    if onsets_path.is_file() and onsets is not None:
        onset_f = mir_eval.onset.f_measure(read_times(onsets_path), np.array(onsets), window=ONSET_WINDOW)[0]
    bpm = median_tempo(tempo, final_bpm)
    acc1, acc2 = tempo_accuracy(bpm, reference_tempo(audio, reference))
    return {
        "F": f, "CMLt": cml_t, "AMLt": aml_t, "BPM": bpm, "Acc1": acc1, "Acc2": acc2,
        "First": float(estimate[0]) if len(estimate) else float("nan"),
        "Bias": timing_bias(reference, estimate), "OnsF": onset_f,
        "CPU": 100.0 * cpu / duration, "CPUall": 100.0 * cpu_all / duration, "final_bpm": final_bpm,
    }


def annotated_audio(folder: Path) -> list[Path]:
    """Audio files in folder with a .beats or .bpm file beside them, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES
                  and (p.with_suffix(".beats").is_file() or p.with_suffix(".bpm").is_file()))


def _cell(metric: str, value: float) -> str:
    return "     -" if np.isnan(value) else FORMATS.get(metric, "{:>6.3f}").format(value)


def _row(name: str, results: dict[str, dict], trackers: list[str]) -> str:
    return f"{name[:22]:<22} " + " ".join(
        " ".join(_cell(m, results[t][m]) for t in trackers) for m in COLUMNS)


def means(table: dict[str, dict[str, dict]], trackers: list[str]) -> dict[str, dict]:
    """Per tracker, the mean of every metric over the files that have it."""
    metrics = COLUMNS + ("CPUall",)
    return {t: {m: float(np.nanmean([table[n][t][m] for n in table]))
                if any(not np.isnan(table[n][t][m]) for n in table) else float("nan")
                for m in metrics} for t in trackers}


def print_table(table: dict[str, dict[str, dict]], trackers: list[str]) -> None:
    width = 7 * len(trackers) - 1
    print(f"{'':<22} " + " ".join(f"{m:^{width}}" for m in COLUMNS))
    print(f"{'file':<22} " + " ".join(" ".join(f"{t[:6]:>6}" for t in trackers) for _ in COLUMNS))
    for name, results in table.items():
        print(_row(name, results, trackers))
    mean = means(table, trackers)
    print(_row("mean", mean, trackers))
    for t in trackers:
        print(f"{t}: tracker {mean[t]['CPU']:.2f}% of one core, whole analysis {mean[t]['CPUall']:.2f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="folder of audio files with .beats / .bpm annotations")
    parser.add_argument("--trackers", nargs="+", choices=sorted(TRACKERS) + list(OFFLINE),
                        default=[AnalysisConfig.tracker] + sorted(set(TRACKERS) - {AnalysisConfig.tracker}))
    parser.add_argument("--json", type=Path, help="also write every score to this JSON file")
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"eval_beats: {args.dir}: not a folder", file=sys.stderr)
        return 2
    files = annotated_audio(args.dir)
    if not files:
        print(f"eval_beats: {args.dir}: no audio file with a .beats or .bpm file beside it", file=sys.stderr)
        return 2
    if "librosa" in args.trackers:
        try:
            import librosa  # noqa: F401
        except ImportError:
            print("eval_beats: librosa is not installed (it is only a reference: pip install librosa)",
                  file=sys.stderr)
            return 2
    samplerate = AnalysisConfig().samplerate
    table = {}
    for audio in files:
        samples = decode(audio, samplerate)
        table[audio.stem] = {t: score(audio, samples, t, samplerate) for t in args.trackers}
    print_table(table, args.trackers)
    if args.json:
        args.json.write_text(json.dumps({"files": table, "mean": means(table, args.trackers)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
