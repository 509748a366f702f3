"""The control command-line options, and the control objects built from them."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from vjengine.clock import Clock
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.control.link import LinkTempo, add_link_options, build_link
from vjengine.control.midi import APIS, MidiInput
from vjengine.control.midimap import DEFAULT_MAP, MidiMapLibrary, MidiMapper
from vjengine.control.osc import DEFAULT_HOST, DEFAULT_PORT, OscServer
from vjengine.control.oscout import FeatureOut, Feedback, OscSender, parse_target
from vjengine.control.presets import SLOT_COUNT, PresetLibrary
from vjengine.control.state import ControlState
from vjengine.errors import InputError
from vjengine.paths import PRESETS
from vjengine.names import NAME_PATTERN

log = logging.getLogger(__name__)

DEFAULT_PRESETS = PRESETS


def add_control_options(parser: argparse.ArgumentParser) -> None:
    """Add the OSC, MIDI and preset options to a command's parser."""
    group = parser.add_argument_group("control", "OSC, MIDI, presets and tempo")
    group.add_argument("--osc-host", default=DEFAULT_HOST,
                       help="address the OSC server listens on (default 127.0.0.1: this machine "
                            "only; 0.0.0.0 opens it to the network)")
    group.add_argument("--osc-port", type=int, default=DEFAULT_PORT, help="OSC port (default 9000)")
    group.add_argument("--no-osc", action="store_true", help="no OSC server")
    group.add_argument("--osc-allow", action="append", default=[], metavar="ADDRESS[/BITS]",
                       help="accept OSC only from these senders (repeatable), e.g. 192.168.1.0/24")
    group.add_argument("--osc-feedback", metavar="HOST:PORT",
                       help="echo every state change there so faders follow")
    group.add_argument("--osc-out", metavar="HOST:PORT",
                       help="send beat, onset, tempo, bands, level and beat phase there")
    group.add_argument("--midi", action="append", default=[], metavar="NAME",
                       help="open MIDI inputs whose name contains NAME (repeatable; 'all' opens "
                            "every input); ports that come and go are picked up")
    group.add_argument("--midi-api", default="auto", choices=["auto", *APIS],
                       help="MIDI system (default auto: ALSA where its sequencer exists on Linux, "
                            "else JACK; the platform's own elsewhere)")
    group.add_argument("--midi-map", default=DEFAULT_MAP, metavar="NAME",
                       help=f"MIDI map for ports no map matches (default {DEFAULT_MAP})")
    group.add_argument("--presets", type=Path, default=DEFAULT_PRESETS, metavar="DIR",
                       help="scenes folder; MIDI maps are in its midi/ (default: the clone's presets/)")
    group.add_argument("--preset", metavar="NAME", help="scene to load at start")
    group.add_argument("--beats-per-bar", type=int, default=4, help="beats per bar (default 4)")
    add_link_options(group)


def default_slots(styles_dir: Path | None) -> tuple[str, ...]:
    """The first nine style folders by slug: slots for a scene that names none."""
    from vjengine.styles.store import STYLE_FILE  # here: the store imports torch

    if styles_dir is None or not styles_dir.is_dir():
        return ()
    slugs = sorted(p.name for p in styles_dir.iterdir()
                   if NAME_PATTERN.match(p.name) and (p / STYLE_FILE).is_file())
    return tuple(slugs[:SLOT_COUNT])


@dataclass
class Control:
    """Everything the control options built; the render thread hands `pending()` events to `state`."""

    bus: ControlBus
    state: ControlState
    osc: OscServer | None = None
    midi: MidiInput | None = None
    feedback: Feedback | None = None
    feature_out: FeatureOut | None = None
    link: LinkTempo | None = None
    # How the state was started (default slots, preset, MIDI map, bar length, presets folder),
    # so a show journal can start a replay the same way.
    settings: dict = field(default_factory=dict)

    def start(self) -> None:
        if self.state.scenes.presets is not None:  # mid-show preset loads: parsed off the render thread
            self.state.scenes.presets.watch()
        if self.osc is not None:
            self.osc.start()
        if self.midi is not None:
            self.midi.start()
        if self.link is not None:
            self.link.start()

    def pending(self) -> Iterable[ControlEvent]:
        """Events from the bus, then from MIDI, received since the last frame (render thread)."""
        yield from self.bus.drain()
        if self.midi is not None:
            yield from self.midi.iter_pending()

    def status(self) -> dict[str, object]:
        """Counters and tempo for the HUD, as one flat dict; `dropped` totals the inputs dropped."""
        snapshot = self.state.snapshot
        status: dict[str, object] = {
            "bpm": round(snapshot.bpm, 1), "tempo_source": snapshot.tempo_source,
            "preset": snapshot.preset, "learning": snapshot.learning or "",
            "bus_dropped": self.bus.dropped, "beat_position": round(self.state.tempo.position, 6),
        }
        status.update({f"control_{k}": v for k, v in self.state.counters.as_dict().items()})
        if self.osc is not None:
            status.update({f"osc_{k}": v for k, v in self.osc.counters.as_dict().items()})
        if self.midi is not None:
            status.update({f"midi_{k}": v for k, v in self.midi.counters.as_dict().items()})
            status["midi_map_errors"] = self.state.midi.mapper.errors if self.state.midi else 0
        status["dropped"] = (self.bus.dropped + (self.osc.counters.dropped if self.osc else 0)
                             + (self.midi.counters.ignored if self.midi else 0))
        if self.feedback is not None:
            status["feedback_failed"] = self.feedback.sender.failed
        if self.feature_out is not None:
            status["osc_out_failed"] = self.feature_out.sender.failed
        if self.state.autopilot is not None:
            status["autopilot"] = self.state.autopilot.describe(self.state.tempo.position)
        if self.state.breeding is not None and self.state.breeding.active:
            status["breed"] = self.state.breeding.describe()
        if self.link is not None:
            link = self.link.status
            status.update(link_peers=link.peers, link_bpm=round(link.bpm, 3),
                          link_phase=round(link.phase, 6), link_frame_perf=link.frame_perf)
        return status

    def close(self) -> None:
        if self.state.scenes.presets is not None:
            self.state.scenes.presets.close()
        if self.osc is not None:
            self.osc.close()
        if self.midi is not None:
            self.midi.close()
        for sender in (self.feedback, self.feature_out):
            if sender is not None:
                sender.sender.close()
        if self.link is not None:
            self.link.close()


def start_scene(state: ControlState, slots: tuple[str, ...], preset: str | None) -> None:
    """The state a show starts from: default slots, then the starting preset if one is named.

    A starting preset that cannot be loaded is a PresetError (an InputError): the show does not start.
    """
    scenes = state.scenes
    scenes.slots = slots
    if preset:
        scenes.apply(scenes.presets.load(preset), at_once=True)
        scenes.preset = preset


def build_control(args: argparse.Namespace, clock: Clock, bus: ControlBus | None = None,
                  styles_dir: Path | None = None) -> Control:
    """The control objects for parsed options (not started); bad options raise InputError.

    `clock` stamps OSC and MIDI events; it must be the clock the frame time passed to
    `ControlState.update` comes from, since tap tempo and MIDI clock compare the two.
    """
    if not 0 <= args.osc_port <= 65535:
        raise InputError(f"--osc-port {args.osc_port}: expected 0..65535")
    if not 1 <= args.beats_per_bar <= 16:
        raise InputError(f"--beats-per-bar {args.beats_per_bar}: expected 1..16")
    if bus is None:
        bus = ControlBus()
    presets = PresetLibrary(args.presets)
    feedback = feature_out = feedback_target = None
    if args.osc_feedback:
        feedback_target = parse_target(args.osc_feedback, "--osc-feedback")
        feedback = Feedback(OscSender(feedback_target))
    if args.osc_out:
        feature_out = FeatureOut(OscSender(parse_target(args.osc_out, "--osc-out")))
    mapper = MidiMapper(MidiMapLibrary(args.presets / "midi"), args.midi_map) if args.midi else None
    state = ControlState(presets, mapper, feedback, beats_per_bar=args.beats_per_bar)
    slots = default_slots(styles_dir)
    start_scene(state, slots, args.preset)
    settings = {"default_slots": list(slots), "preset": args.preset, "beats_per_bar": args.beats_per_bar,
                "midi_map": args.midi_map if args.midi else None, "presets_dir": str(args.presets)}
    osc = None
    if not args.no_osc:
        osc = OscServer(bus, clock, lambda: state.snapshot, args.osc_host, args.osc_port, args.osc_allow,
                        feedback_target)
    midi = MidiInput(args.midi, clock, args.midi_api) if args.midi else None
    link = build_link(args, clock)
    state.tempo.session = link
    return Control(bus, state, osc, midi, feedback, feature_out, link, settings)
