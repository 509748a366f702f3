"""The `vjengine` command line: parse, call one subcommand, return its exit code."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from vjengine.errors import InputError

from vjengine.paths import STYLES as DEFAULT_STYLES

DEFAULT_STYLE = "neon-grid"


def parse_size(text: str) -> tuple[int, int]:
    """"1920x1080" -> (1920, 1080), for argparse."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r}: each side must be 16..8192 pixels")
    return width, height


def parse_param(text: str) -> tuple[str, float]:
    """"zoom=1.5" -> ("zoom", 1.5), checked against the parameter schema."""
    from vjengine.control.params import SPECS

    name, _, value = text.partition("=")
    if name not in SPECS:
        raise argparse.ArgumentTypeError(f"--param {text!r}: unknown parameter (expected one of "
                                         f"{', '.join(SPECS)})")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--param {text!r}: expected NAME=NUMBER") from None


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


def cmd_render(args: argparse.Namespace) -> int:
    """Render an audio file to an MP4 through the live frame path."""
    from vjengine.render.offline import RenderJob, render_file
    from vjengine.styles.store import find_style

    style_a = find_style(args.styles, args.style)
    style_b = find_style(args.styles, args.style_b) if args.style_b else None
    job = RenderJob(audio=args.audio, output=args.output, style_a=style_a, style_b=style_b,
                    xfade_beats=args.xfade_beats, size=args.size, fps=args.fps,
                    render_scale=args.render_scale, backend=args.backend, params=dict(args.param))
    path = render_file(job, show_progress=not args.quiet)
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vjengine", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("styles", help="list styles and their scores")
    p.add_argument("--dir", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.add_argument("--info", action="store_true", help="print the default CPPN's architecture and size")
    p.set_defaults(func=cmd_styles)

    p = sub.add_parser("render", help="render an audio file to an MP4 with that audio")
    p.add_argument("audio", type=Path, help="audio file (wav, flac, mp3, ogg, ...)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4")
    p.add_argument("--style", default=DEFAULT_STYLE, help=f"style A (default: {DEFAULT_STYLE})")
    p.add_argument("--style-b", help="style B: the render swings A -> B -> A in time with the beat")
    p.add_argument("--xfade-beats", type=float, default=8.0, help="beats per A->B swing (default 8)")
    p.add_argument("--size", type=parse_size, default=(1920, 1080), help="output WIDTHxHEIGHT")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    p.add_argument("--render-scale", type=float, default=0.25,
                   help="CPPN resolution as a fraction of the output (default 0.25)")
    p.add_argument("--backend", default="auto", help="CPPN backend: auto, cuda, cpu, reference")
    p.add_argument("--param", type=parse_param, action="append", default=[],
                   help="set a parameter, e.g. --param zoom=1.5 (repeatable)")
    p.add_argument("--styles", type=Path, default=DEFAULT_STYLES, help="styles folder")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("analyze", help="causal beats, onsets and tempo of an audio file")
    p.add_argument("audio", type=Path)
    p.add_argument("--json", type=Path, help="write beats/onsets/tempo to this JSON file")
    p.add_argument("--tracker", default="aubio", help="beat tracker (default: aubio)")
    p.set_defaults(func=cmd_analyze)
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
