"""The `vjengine` command line: parse, call one subcommand, return its exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from vjengine.errors import InputError

DEFAULT_STYLES = Path("styles")


def cmd_styles(args: argparse.Namespace) -> int:
    """List the styles folder (slug, name, prompt, method, score) or print the default CPPN's size."""
    from vjengine.model.cppn import CPPNConfig
    from vjengine.styles.store import Style, list_styles

    if args.info:
        config = CPPNConfig()
        print(f"default CPPN: {config.depth} x {config.width} sine layers, "
              f"{3 + config.cond_size} inputs (x, y, r + {config.cond_size} conditioning), "
              f"frequency {config.frequency}: {config.parameter_count:,} parameters")
        return 0
    entries = list_styles(args.dir)
    if not entries:
        print(f"no styles in {args.dir}/")
        return 1
    failures = 0
    print(f"{'slug':<22} {'name':<24} {'method':<16} {'score':>7}  prompt")
    for entry in entries:
        if isinstance(entry, Style):
            print(f"{entry.slug:<22} {entry.name:<24} {str(entry.meta.get('method', '')):<16} "
                  f"{float(entry.meta.get('score', 0.0)):>7.4f}  {entry.prompt}")
        else:
            failures += 1
            print(f"invalid: {entry}", file=sys.stderr)
    return 1 if failures else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Causal beat/onset/tempo analysis of a file, exactly as the live engine computes it."""
    from vjengine.audio.analysis import AnalysisConfig, Analyzer
    from vjengine.audio.filesource import decode, hops

    config = AnalysisConfig(tracker=args.tracker)
    analyzer = Analyzer(config)
    samples = decode(args.audio, config.samplerate)
    beats, onsets, tempo = [], [], []
    previous = analyzer.features
    for hop in hops(samples, config.hop_size):
        features = analyzer.process(hop)
        if features.beat_count != previous.beat_count:
            beats.append(round(features.beat_t, 6))
            tempo.append([round(features.beat_t, 6), round(features.bpm, 3)])
        if features.onset_count != previous.onset_count:
            onsets.append(round(features.onset_t, 6))
        previous = features
    result = {
        "file": str(args.audio), "samplerate": config.samplerate, "hop_size": config.hop_size,
        "tracker": analyzer.tracker.name, "duration": len(samples) / config.samplerate,
        "bpm": round(previous.bpm, 3), "beats": beats, "onsets": onsets, "tempo": tempo,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{args.audio}: {len(beats)} beats, {len(onsets)} onsets, final tempo {previous.bpm:.1f} BPM "
          f"({analyzer.tracker.name})" + (f"; wrote {args.json}" if args.json else ""))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train a style from a prompt or image, or every style of a mood board."""
    from vjengine.train.command import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjengine", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("styles", help="list styles and their scores")
    p.add_argument("--dir", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.add_argument("--info", action="store_true", help="print the default CPPN's architecture and size")
    p.set_defaults(func=cmd_styles)

    p = sub.add_parser("analyze", help="causal beats, onsets and tempo of an audio file")
    p.add_argument("audio", type=Path)
    p.add_argument("--json", type=Path, help="write beats/onsets/tempo to this JSON file")
    p.add_argument("--tracker", default="aubio", help="beat tracker (default: aubio)")
    p.set_defaults(func=cmd_analyze)

    from vjengine.train.command import add_arguments as add_train_arguments

    p = sub.add_parser("train", help="train a style from a prompt, an image or a mood board")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except InputError as exc:
        print(f"vjengine: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
