"""vjengine: a live VJ engine that paints audio-reactive CPPN styles, live or into a video.

Start with `vjengine run` (the live show), `vjengine render SONG.wav -o SONG.mp4` (a video) or
`vjengine styles` (what there is to show); `vjengine COMMAND --help` explains each command.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import signal
import sys
from pathlib import Path

from vjengine.config import LIMITS, UPSCALERS, AudioConfig, OfflineConfig, RenderConfig, check_number
from vjengine.errors import InputError
from vjengine.names import shown

from vjengine.paths import PRESETS as DEFAULT_PRESETS
from vjengine.paths import STYLES as DEFAULT_STYLES



def parse_size(text: str) -> tuple[int, int]:
    """"1920x1080" -> (1920, 1080), for argparse."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if not (16 <= width <= 8192 and 16 <= height <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r}: each side must be 16..8192 pixels")
    return width, height


def show_size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def setting(name: str, scale: float = 1.0):
    """An argparse type for the config setting `name` (LIMITS gives its range); `scale`: flag units
    per config unit (1000 for a flag in ms of a setting in seconds)."""
    def parse(text: str) -> float | int:
        try:
            return check_number(name, float(text) / scale)
        except (ValueError, InputError):
            low, high = (limit * scale for limit in LIMITS[name])
            raise argparse.ArgumentTypeError(f"{text!r}: expected a number from {low:g} to {high:g}") from None

    parse.__name__ = name  # argparse names the type in its messages
    return parse


def parse_param(text: str) -> tuple[str, float]:
    """"zoom=1.5" -> ("zoom", 1.5), checked against the parameter schema."""
    from vjengine.control.params import SPECS

    name, _, value = text.partition("=")
    if name not in SPECS:
        raise argparse.ArgumentTypeError(f"--param {text!r}: unknown parameter (expected one of "
                                         f"{', '.join(SPECS)})")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"--param {text!r}: expected NAME=NUMBER, a finite number")
    return name, number


def exit_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so that a stopped render deletes its partial file."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


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
    if args.sheet:
        from vjengine.train.sheet import make_sheet, metrics_line

        for report in make_sheet(args.dir, args.sheet):
            print(f"{report.slug:<18} {report.family:<9} {metrics_line(report)}")
        print(f"wrote {args.sheet}")
        return 0
    entries = list_styles(args.dir)
    if not entries:
        print(f"no styles in {args.dir}/")
        return 1
    failures = 0
    print(f"{'slug':<22} {'name':<24} {'method':<16} {'score':>7}  prompt")
    for entry in entries:
        if isinstance(entry, Style):
            print(shown(f"{entry.slug:<22} {entry.name:<24} {str(entry.meta.get('method', '')):<16} "
                        f"{float(entry.meta.get('score', 0.0)):>7.4f}  "
                        f"{entry.prompt or entry.meta.get('description', '')}"))
        else:
            failures += 1
            print(shown(f"invalid: {entry}"), file=sys.stderr)
    return 1 if failures else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Causal beat/onset/tempo analysis of a file, exactly as the live engine computes it."""
    from vjengine.audio.analysis import MAX_BEAT_LOOKAHEAD, AnalysisConfig
    from vjengine.audio.filesource import decode
    from vjengine.audio.timeline import analyze_samples

    if args.latency is not None and not 0.0 <= args.latency <= 1000.0 * MAX_BEAT_LOOKAHEAD:
        raise InputError(f"--latency {args.latency}: expected 0..{1000.0 * MAX_BEAT_LOOKAHEAD:g} ms")
    config = AnalysisConfig(tracker=args.tracker, **({} if args.latency is None else
                                                     {"beat_lookahead": args.latency / 1000.0}))
    samples = decode(args.audio, config.samplerate)
    timeline = analyze_samples(samples, config)
    result = {"file": str(args.audio), "samplerate": config.samplerate, "hop_size": config.hop_size,
              "beat_lookahead": config.beat_lookahead, **timeline.to_json()}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(f"{args.audio}: {len(timeline.beats)} beats, {len(timeline.onsets)} onsets, "
          f"final tempo {timeline.bpm:.1f} BPM ({timeline.tracker})"
          + (f"; wrote {args.json}" if args.json else ""))
    return 0


def first_style(root: Path) -> str:
    """The slug of the first loadable style in root, for commands given none."""
    from vjengine.styles.store import Style, list_styles

    for entry in list_styles(root):
        if isinstance(entry, Style):
            return entry.slug
    raise InputError(f"{root}: no loadable styles (make one with `vjengine train`)")


def autopilot_styles(enabled: bool, root: Path) -> tuple:
    """With --autopilot, every loadable style in the styles folder; else none."""
    from vjengine.styles.store import Style, list_styles

    if not enabled:
        return ()
    return tuple(entry for entry in list_styles(root) if isinstance(entry, Style))


def cmd_render(args: argparse.Namespace) -> int:
    """Render an audio file to an MP4 through the live frame path."""
    from vjengine.render.encoder import check_output

    check_output(args.output, args.audio)  # before anything is loaded or written
    exit_on_sigterm()
    from vjengine.show.offline import RenderJob, render_file
    from vjengine.styles.store import find_style

    if args.autopilot and args.style_b:
        raise InputError("--autopilot chooses the styles itself: leave out --style-b")
    style_a = find_style(args.styles, args.style or first_style(args.styles))
    style_b = find_style(args.styles, args.style_b) if args.style_b else None
    job = RenderJob(audio=args.audio, output=args.output, style_a=style_a, style_b=style_b,
                    xfade_beats=args.xfade_beats, size=args.size, fps=args.fps,
                    render_scale=args.render_scale, backend=args.backend, upscale=args.upscale,
                    params=dict(args.param), autopilot=autopilot_styles(args.autopilot, args.styles),
                    seed=args.seed)
    path = render_file(job, show_progress=not args.quiet)
    print(f"wrote {path}")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    """List audio inputs (and monitors, when a display exists)."""
    from vjengine.audio.capture import input_devices

    devices = input_devices()
    print("audio inputs (--input INDEX or a part of the name):")
    if not devices:
        print("  none (the engine will loop the demo track)")
    for device in devices:
        print(f"{device.index:>3}  {device.name:<32} {device.channels:>2} ch  "
              f"{device.samplerate:>7.0f} Hz  {device.hostapi}")
    from vjengine.render.window import DisplayError, init_glfw, monitors

    print("monitors (--monitor INDEX):")
    try:
        init_glfw()
    except DisplayError as exc:
        print(f"  none: {exc}")
        return 0
    for index, (name, size) in enumerate(monitors()):
        print(f"{index:>3}  {name:<32} {show_size(size)}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The live show."""
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: where is it stuck?
    show = engine_from_args(args)
    for ending in (signal.SIGTERM, signal.SIGHUP):  # systemd, `kill`, a closed terminal: end as Esc does
        signal.signal(ending, show.stop)
    code = show.run()
    # Everything is closed and flushed. Leave without the interpreter's finalisation, where native
    # threads and destructors (PortAudio, the compiled kernel's runners, EGL) can race into a
    # segfault, and which would also collect torch's heap for seconds.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def engine_from_args(args: argparse.Namespace):
    """The live show for parsed `run` options (also used by tools/bench.py)."""
    from dataclasses import replace

    from vjengine.audio.frontend import AudioFrontEnd
    from vjengine.config import EngineConfig
    from vjengine.control.options import build_control
    from vjengine.render.outputs.options import build_outputs
    from vjengine.show.live import LiveShow

    config = EngineConfig.from_toml(args.config) if args.config else EngineConfig()

    def given(**values):  # the options given on the command line; the rest keep the config's
        return {name: value for name, value in values.items() if value is not None}

    audio = replace(config.audio, **given(input=args.input, samplerate=args.samplerate, gain=args.gain))
    if args.channel is not None:
        audio = replace(audio, channel=None if args.channel == "mix" else int(args.channel))
    render = replace(config.render, **given(size=args.size, monitor=args.monitor, fps=args.fps,
                                            render_scale=args.render_scale,
                                            min_render_scale=args.min_render_scale, upscale=args.upscale,
                                            backend=args.backend, latency=args.latency))
    render = replace(render, fullscreen=render.fullscreen or args.fullscreen,
                     preview=render.preview or args.preview, hud=render.hud or args.hud,
                     vsync=render.vsync and not args.no_vsync,
                     adaptive=render.adaptive and not args.fixed_scale)
    config = replace(config, audio=audio, render=render, params={**config.params, **dict(args.param)},
                     **given(styles_dir=args.styles, style_a=args.style, style_b=args.style_b,
                             frames=args.frames, screenshot=args.screenshot, record=args.record,
                             record_size=args.record_size,
                             journal=args.journal, snapshots=args.snapshots,
                             snapshot_every=args.snapshot_every, telemetry=args.telemetry))
    front_end = AudioFrontEnd(config.audio, config.render.latency)
    control = build_control(args, front_end.clock, styles_dir=config.styles_dir)
    if args.autopilot:
        from vjengine.control.autopilot import Autopilot
        from vjengine.styles.descriptors import measure

        styles = autopilot_styles(args.autopilot, config.styles_dir)
        control.state.autopilot = Autopilot({style.slug: measure(style) for style in styles}, seed=args.seed,
                                            beats_per_bar=control.state.beats_per_bar)
        control.settings["autopilot"] = control.state.autopilot.settings()  # recorded in a journal
    outputs = build_outputs(args, config.render.fps)
    return LiveShow(config, control, front_end, outputs)


def parse_channel(text: str) -> str:
    if text != "mix" and not (text.isdigit() and 1 <= int(text) <= 64):
        raise argparse.ArgumentTypeError(f"--channel {text!r}: expected a channel number 1..64 or 'mix'")
    return text


def cmd_replay(args: argparse.Namespace) -> int:
    """Re-render a show journal."""
    from vjengine.render.encoder import check_output

    check_output(args.output, args.journal)
    exit_on_sigterm()
    from vjengine.show.replay import ReplayJob, replay

    job = ReplayJob(journal=args.journal, output=args.output, styles_dir=args.styles, size=args.size,
                    fps=args.fps, backend=args.backend, frames_dir=args.frames_dir)
    print(f"wrote {replay(job, show_progress=not args.quiet)}")
    return 0


def cmd_export_glsl(args: argparse.Namespace) -> int:
    """Write a style as a self-contained GLSL fragment shader."""
    from vjengine.render.export_glsl import export_style
    from vjengine.styles.store import find_style

    path = export_style(find_style(args.styles, args.slug), args.output, args.host)
    print(f"wrote {path} ({args.host})")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """List the scenes and MIDI maps, or print the README's OSC and MIDI tables."""
    from vjengine.control import docs
    from vjengine.control.midimap import MidiMapLibrary
    from vjengine.control.presets import PresetError, PresetLibrary

    maps = MidiMapLibrary(args.dir / "midi")
    if args.markdown:
        print("\n".join([docs.OSC_MARKERS[0], docs.osc_table(), docs.OSC_MARKERS[1], "",
                         docs.MIDI_MARKERS[0], docs.midi_table(maps), docs.MIDI_MARKERS[1]]))
        return 0
    scenes, midi_maps = PresetLibrary(args.dir).entries(), maps.entries()
    if not scenes and not midi_maps:
        print(f"no presets in {args.dir}/")
        return 1
    failures = 0
    print(f"{'preset':<18} {'name':<18} {'styles':<28} {'params':>6} {'routes':>6}  transition")
    for name, scene in scenes:
        if isinstance(scene, PresetError):
            failures += 1
            print(shown(f"invalid: {scene}"), file=sys.stderr)
            continue
        styles = "-" if scene.style_a is None else " / ".join(filter(None, (scene.style_a, scene.style_b)))
        params, routes = ("-" if part is None else str(len(part)) for part in (scene.params, scene.routes))
        move = scene.transition
        transition = "-" if move is None else f"{move.beats:g} beats, {move.quantise}, {move.mode}"
        print(shown(f"{name:<18} {scene.name:<18} {styles:<28} {params:>6} {routes:>6}  {transition}"))
    print(f"\n{'MIDI map':<18} {'name':<28} {'CCs':>4} {'buttons':>7} {'notes':>5}  ports matched")
    for name, midi_map in midi_maps:
        if isinstance(midi_map, PresetError):
            failures += 1
            print(shown(f"invalid: {midi_map}"), file=sys.stderr)
            continue
        print(shown(f"{name:<18} {midi_map.name:<28} {len(midi_map.cc):>4} {len(midi_map.buttons):>7} "
                    f"{len(midi_map.notes):>5}  {', '.join(midi_map.match) or '(default map)'}"))
    return 1 if failures else 0

def cmd_train(args: argparse.Namespace) -> int:
    """Train a style from a prompt or image, or every style of a mood board."""
    from vjengine.train.command import run

    return run(args)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser, or (given the command about to run) one where only that command's
    options are added, so that no other command's imports are paid for."""
    def wanted(name: str) -> bool:
        return command is None or command == name

    audio, render, offline = AudioConfig(), RenderConfig(), OfflineConfig()
    parser = argparse.ArgumentParser(prog="vjengine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("styles", help="list styles and their scores")
    p.add_argument("--dir", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.add_argument("--info", action="store_true", help="print the default CPPN's architecture and size")
    p.add_argument("--sheet", type=Path, metavar="OUT",
                   help="write a contact sheet (OUT.png, or OUT.html plus its PNG) with look metrics")
    p.set_defaults(func=cmd_styles)

    p = sub.add_parser("run", help="the live show: line-in audio -> CPPN -> window")
    p.add_argument("--config", type=Path, help="engine config TOML ([audio], [render], ...); "
                   "options given here override it")
    p.add_argument("--input", help="audio input: device index or name substring (see `vjengine devices`), "
                   "'demo', or an audio file to loop (default: the system default input, else the demo track)")
    p.add_argument("--samplerate", type=setting("samplerate"),
                   help=f"input sample rate (default {audio.samplerate})")
    p.add_argument("--channel", type=parse_channel, help="input channel number, or 'mix' (default)")
    p.add_argument("--gain", type=setting("gain"), help=f"input gain (default {audio.gain:g})")
    p.add_argument("--style", help="style A (default: the first style)")
    p.add_argument("--style-b", help="style B")
    p.add_argument("--styles", type=Path, help="styles folder (default: styles)")
    p.add_argument("--size", type=parse_size, help=f"window WIDTHxHEIGHT (default {show_size(render.size)})")
    p.add_argument("--fullscreen", action="store_true", help="fullscreen on the output monitor")
    p.add_argument("--monitor", type=setting("monitor"),
                   help="output monitor index (default: the primary; `vjengine devices` lists them)")
    p.add_argument("--preview", action="store_true", help="a preview window with the HUD")
    p.add_argument("--hud", action="store_true", help="show the HUD on the output from the start")
    p.add_argument("--fps", type=setting("fps"), help=f"target frame rate (default {render.fps:g})")
    p.add_argument("--render-scale", type=setting("render_scale"),
                   help=f"starting CPPN scale of the output (default {render.render_scale:g})")
    p.add_argument("--fixed-scale", action="store_true", help="no adaptive internal resolution")
    p.add_argument("--min-render-scale", type=setting("min_render_scale"),
                   help=f"lowest CPPN scale the adaptive resolution may choose (default {render.min_render_scale:g})")
    p.add_argument("--upscale", choices=("auto", *UPSCALERS),
                   help=f"CPPN -> output upscale (default {render.upscale}: edge, bilinear on a software renderer)")
    p.add_argument("--no-vsync", action="store_true", help="don't wait for vertical sync")
    p.add_argument("--backend", help=f"CPPN backend: auto, cuda, glsl, cpu, reference (default {render.backend})")
    p.add_argument("--latency", type=setting("latency", scale=1000.0), metavar="MS",
                   help="render this many ms ahead of the analysed audio to cover input, render and "
                   f"display latency (default {render.latency * 1000:g}, at most {LIMITS['latency'][1] * 1000:g})")
    p.add_argument("--param", type=parse_param, action="append", default=[],
                   help="set a parameter, e.g. --param zoom=1.5 (repeatable)")
    p.add_argument("--frames", type=setting("frames"), help="stop after N frames (check mode)")
    p.add_argument("--screenshot", type=Path, help="save the last frame as PNG when stopping")
    p.add_argument("--record", type=Path, help="record the output with the input audio to an MP4")
    p.add_argument("--record-size", type=parse_size, metavar="WxH",
                   help="the recording's size (default: the output's, at most 640 pixels wide)")
    p.add_argument("--journal", type=Path, help="write a show journal (.vjshow) for `vjengine replay`")
    p.add_argument("--snapshots", type=Path, help="save every --snapshot-every'th frame as PNG here")
    p.add_argument("--snapshot-every", type=setting("snapshot_every"), metavar="N",
                   help="snapshot period in frames (default 0: none)")
    p.add_argument("--telemetry", type=Path, help="append engine stats as JSON lines to this file")
    p.add_argument("--autopilot", action="store_true",
                   help="change styles with the song's sections (all styles in --styles)")
    p.add_argument("--seed", type=int, default=0, help="the autopilot's random seed (default 0)")
    if wanted("run"):
        from vjengine.control.options import add_control_options
        from vjengine.render.outputs.options import add_output_options

        add_control_options(p)
        add_output_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("devices", help="list audio inputs and monitors")
    p.set_defaults(func=cmd_devices)

    p = sub.add_parser("render", help="render an audio file to an MP4 with that audio")
    p.add_argument("audio", type=Path, help="audio file (wav, flac, mp3, ogg, ...)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output .mp4 (never the input; an existing file is replaced when done)")
    p.add_argument("--style", help="style A (default: the first style)")
    p.add_argument("--style-b", help="style B: the render swings A -> B -> A in time with the beat")
    p.add_argument("--xfade-beats", type=setting("xfade_beats"), default=offline.xfade_beats,
                   help=f"beats per A->B swing (default {offline.xfade_beats:g})")
    p.add_argument("--size", type=parse_size, default=offline.size,
                   help=f"output WIDTHxHEIGHT (default {show_size(offline.size)})")
    p.add_argument("--fps", type=setting("fps"), default=offline.fps,
                   help=f"frames per second (default {offline.fps:g})")
    p.add_argument("--render-scale", type=setting("render_scale"), default=offline.render_scale,
                   help=f"CPPN resolution as a fraction of the output (default {offline.render_scale:g})")
    p.add_argument("--backend", default=offline.backend,
                   help=f"CPPN backend: auto, cuda, glsl, cpu, reference (default {offline.backend})")
    p.add_argument("--upscale", choices=("auto", *UPSCALERS), default=offline.upscale,
                   help=f"CPPN -> output upscale (default {offline.upscale}: edge, bilinear on a software renderer)")
    p.add_argument("--param", type=parse_param, action="append", default=[],
                   help="set a parameter, e.g. --param zoom=1.5 (repeatable)")
    p.add_argument("--styles", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--autopilot", action="store_true",
                   help="change styles with the song's sections (all styles in --styles)")
    p.add_argument("--seed", type=int, default=0, help="the autopilot's random seed (default 0)")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("replay", help="re-render a show journal (.vjshow) at any size and frame rate")
    p.add_argument("journal", type=Path, help="a .vjshow file (or its .parts folder after a crash)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output .mp4 (never the journal)")
    p.add_argument("--size", type=parse_size, help="output WIDTHxHEIGHT (default: the live size)")
    p.add_argument("--fps", type=setting("fps"),
                   help="re-time to this frame rate (default: every live frame, exactly as shown)")
    p.add_argument("--backend", help="CPPN backend (default: the one the show used)")
    p.add_argument("--styles", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.add_argument("--frames-dir", type=Path, help="also write every rendered frame as PNG here")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("export-glsl", help="write a style as a self-contained GLSL fragment shader")
    p.add_argument("slug", help="the style to export")
    p.add_argument("-o", "--output", type=Path, required=True, help="output shader, e.g. style.frag")
    p.add_argument("--host", choices=["glsl", "touchdesigner", "shadertoy"], default="glsl",
                   help="what the shader plugs into (default: glsl, any OpenGL 3.3 host)")
    p.add_argument("--styles", type=Path, default=DEFAULT_STYLES, help="styles folder (default: styles)")
    p.set_defaults(func=cmd_export_glsl)

    p = sub.add_parser("analyze", help="causal beats, onsets and tempo of an audio file")
    p.add_argument("audio", type=Path, help="audio file (wav, flac, mp3, ogg, ...)")
    p.add_argument("--json", type=Path, help="write beats/onsets/tempo to this JSON file")
    if wanted("analyze"):
        from vjengine.audio.analysis import TRACKERS, AnalysisConfig

        p.add_argument("--tracker", choices=sorted(TRACKERS), default=AnalysisConfig.tracker,
                       help=f"beat tracker (default: {AnalysisConfig.tracker})")
        p.add_argument("--latency", type=float, help="report each beat this many ms before it sounds, as "
                       f"`run --latency` does (default {1000 * AnalysisConfig.beat_lookahead:g}, at most 150)")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("presets", help="list scenes and MIDI maps")
    p.add_argument("--dir", type=Path, default=DEFAULT_PRESETS,
                   help="presets folder, MIDI maps in its midi/ (default: the clone's presets/)")
    p.add_argument("--markdown", action="store_true",
                   help="print the README's OSC address and MIDI map tables, generated from the schema")
    p.set_defaults(func=cmd_presets)

    p = sub.add_parser("train", help="train a style from a prompt, an image or a mood board")
    if wanted("train"):
        from vjengine.train.command import add_arguments as add_train_arguments

        add_train_arguments(p)
    p.set_defaults(func=cmd_train)
    return parser


def command_in(argv: list[str]) -> str:
    """The subcommand argv names (the first word that is not an option), or "" for none."""
    return next((word for word in argv if not word.startswith("-")), "")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_in(argv)).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except InputError as exc:
        print(shown(f"vjengine: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
