"""ControlState: the render thread's one object for the show's controls, made of parts with one job.

Per frame the render loop hands it every ControlEvent (bus and MIDI), calls `update(t, features)`,
and reads the returned ControlFrame: smoothed parameter values ("xfade" after transitions), the
scene's modulation routes and blend mode, the styles on decks A and B, and the features with the
active tempo source. Loading styles is the caller's job, off the render thread: it loads
`wanted_styles()` and reports back with `style_loaded` or `style_failed`.

The parts: `params` (control.params), `decks` and their transitions (control.decks), `scenes`
(control.scenes: slots, transition settings, routes, presets), `midi` (control.learn) and `tempo`
(control.tempo). Every change is reported to `changes` (control.changes) as it happens.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Protocol

from vjengine.audio.features import AudioFeatures
from vjengine.control import events
from vjengine.control.autopilot import Autopilot
from vjengine.control.changes import Changes, Unheard
from vjengine.control.decks import Decks
from vjengine.control.events import ControlEvent
from vjengine.control.learn import TARGETS as MIDI_TARGETS
from vjengine.control.learn import MidiLearn
from vjengine.control.midimap import MidiMapper
from vjengine.control.params import PARAMS, SPECS, ParamState
from vjengine.control.presets import PresetError, PresetLibrary
from vjengine.control.routes import Route
from vjengine.control.scenes import Scenes
from vjengine.control.tempo import TempoEngine
from vjengine.names import NAME_RULE, is_name

log = logging.getLogger(__name__)

STARTUP_SOURCE = "start"  # events that set the show up, not a VJ's changes
MANUAL_CHANGES = (events.STYLE_A, events.STYLE_B, events.SLOT, events.TRANSITION, events.PRESET)
MAX_LOGGED_PRESET_ERRORS = 256  # distinct preset errors logged; later ones are only counted


class Breeder(Protocol):
    """Breed mode as the controls see it (show.breeding.Breeding)."""

    active: bool
    children: list  # the grid's prepared weights, for the frame path

    def handle(self, target: str, value: object, style_a: str | None, style_b: str | None) -> None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ControlFrame:
    """What the frame path needs from the controls this frame."""

    params: dict[str, float]  # smoothed values; "xfade" after transitions (0 = A, 1 = B)
    routes: tuple[Route, ...]  # the scene's modulation routes, for modulate to apply
    style_a: str | None
    style_b: str | None
    blend_mode: str  # the scene's: how render blends the two styles (control.transitions.MODES)
    features: AudioFeatures  # bpm, beat_t, beat_count, tempo_source from the active tempo source
    position: float  # the show's beat position (bar = position // beats_per_bar)


@dataclass(frozen=True)
class ControlSnapshot:
    """The state as of the last frame, published for OSC queries and the HUD (read by any thread)."""

    params: dict[str, float] = field(default_factory=lambda: {s.name: s.default for s in PARAMS})
    style_a: str | None = None
    style_b: str | None = None
    xfade: float = 0.0
    bpm: float = 0.0
    tempo_source: str = "none"
    preset: str = ""
    learning: str | None = None
    slots: tuple[str, ...] = ()
    transition: bool = False


@dataclass
class ControlCounters:
    """What went wrong on the render thread's side (the HUD shows them)."""

    events: int = 0
    rejected: int = 0  # events with a bad value or an unknown target
    style_failures: int = 0
    preset_errors: int = 0  # bad preset or MIDI map names and files

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def _slug(value: object, what: str) -> str:
    if not is_name(value):
        raise ValueError(f"{what}: {value!r} is not a style slug ({NAME_RULE})")
    return value


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return float(value)


def _manual_change(target: str) -> bool:
    """Whether an event with this target changes styles or the crossfade (suspending the autopilot)."""
    param = events.split_param_target(target)
    return target in MANUAL_CHANGES or (param is not None and param[0] == "xfade")


class ControlState:
    """Events in, one ControlFrame out per frame (render thread)."""

    def __init__(self, presets: PresetLibrary | None = None, midi: MidiMapper | None = None,
                 changes: Changes | None = None, beats_per_bar: int = 4):
        self.changes = changes if changes is not None else Unheard()
        self.beats_per_bar = beats_per_bar
        self.params = ParamState()
        self.tempo = TempoEngine()
        self.decks = Decks(self.params, self.changes, beats_per_bar)
        self.scenes = Scenes(presets, self.params, self.decks, self.changes)
        self.midi = MidiLearn(midi, self.changes) if midi is not None else None
        self.autopilot: Autopilot | None = None  # set by the caller for --autopilot
        self.breeding: Breeder | None = None  # set by the live show and replay (show.breeding)
        self.counters = ControlCounters()
        self.snapshot = ControlSnapshot()
        self._t: float | None = None
        self._tempo_shown: tuple[float, str] | None = None
        self._rejected_logged: set[str] = set()
        self._preset_errors_logged: set[str] = set()

    # -- events ---------------------------------------------------------------------------------

    def handle(self, event: ControlEvent) -> None:
        """Apply one event; a bad one is counted and logged, never raised (render thread)."""
        self.counters.events += 1
        try:
            if not isinstance(event.target, str):
                raise TypeError(f"target {event.target!r} is not a string")
            self._dispatch(event)
        except PresetError as exc:
            self.counters.preset_errors += 1
            message = str(exc)
            if message not in self._preset_errors_logged:  # each distinct error once; all counted
                if len(self._preset_errors_logged) < MAX_LOGGED_PRESET_ERRORS:
                    self._preset_errors_logged.add(message)
                    log.error("%s", message)
        except (ValueError, TypeError) as exc:  # a malformed value from any producer
            self.counters.rejected += 1
            kind = str(event.target).split("/")[0]
            if kind not in self._rejected_logged:
                self._rejected_logged.add(kind)
                log.warning("control event %s from %s rejected: %s (further ones are counted)",
                            event.target, event.source, exc)

    def _dispatch(self, event: ControlEvent) -> None:
        target, value = event.target, event.value
        if self.autopilot is not None and event.source != STARTUP_SOURCE and _manual_change(target):
            self.autopilot.suspend(self.tempo.position)
        param = events.split_param_target(target)
        if param is not None:
            self._set_param(*param, value)
        elif target in (events.STYLE_A, events.STYLE_B):
            self.decks.put(target[-1], _slug(value, target))
        elif target == events.SLOT and event.source == "key" and self.breeding is not None \
                and self.breeding.active:  # keys 1-9 pick a child while breeding
            self.breeding.handle(events.BREED_PICK, value, *self.decks.shown())
        elif target in events.BREED_TARGETS:
            if self.breeding is None:
                raise ValueError("breeding is not available here (only in run and replay)")
            self.breeding.handle(target, value, *self.decks.shown())
        elif target == events.SLOT:
            self.transition_to(self.scenes.slot(value))
        elif target == events.TRANSITION:
            slug, beats = value
            self.transition_to(_slug(slug, target),
                               None if beats is None else _finite(beats, "transition beats"))
        elif target == events.PRESET:
            self.scenes.load(value)
        elif target == events.PRESET_SAVE:
            self.scenes.save(value)
        elif target in (events.AUTOPILOT, events.AUTOPILOT_POOL, events.AUTOPILOT_VARIETY):
            self._autopilot_event(target, value)
        elif target in MIDI_TARGETS:
            if self.midi is None:
                raise ValueError("MIDI is not enabled")
            self.midi.handle(event, self._dispatch)
        else:
            self._tempo_event(event)

    def _autopilot_event(self, target: str, value: object) -> None:
        if self.autopilot is None:
            raise ValueError("the autopilot is not enabled (start with --autopilot)")
        if target == events.AUTOPILOT:
            if not isinstance(value, bool):
                raise ValueError(f"{target}: expected on or off, got {value!r}")
            self.autopilot.enabled = value
        elif target == events.AUTOPILOT_POOL:
            self.autopilot.set_pool(tuple(_slug(slug, target) for slug in value))
        else:
            self.autopilot.set_variety(_finite(value, target))

    def _set_param(self, name: str, mode: str, value: object) -> None:
        if name not in SPECS:
            raise ValueError(f"unknown parameter {name!r}")
        value = _finite(value, name)
        if name == "xfade":
            self.decks.take_over_xfade()
        if mode == "abs":
            stored = self.params.set(name, value)
        elif mode == "nudge":
            stored = self.params.nudge(name, value)
        else:
            stored = self.params.set_normalised(name, value)
        self.changes.param(name, stored)

    def _tempo_event(self, event: ControlEvent) -> None:
        tempo, target = self.tempo, event.target
        if target == events.TAP:
            tempo.manual.tap(event.t)
        elif target == events.TEMPO:
            bpm = _finite(event.value, "tempo")
            if bpm == 0:
                tempo.manual.release()
            else:
                tempo.manual.set_bpm(bpm)
        elif target == events.MIDI_CLOCK:
            tempo.midi_clock.tick(event.t)
        elif target == events.MIDI_START:
            tempo.midi_clock.start(event.t)
        elif target == events.MIDI_STOP:
            tempo.midi_clock.stop(event.t)
        elif target == events.MIDI_CONTINUE:
            tempo.midi_clock.resume(event.t)
        else:
            raise ValueError("unknown target")

    def transition_to(self, slug: str, beats: float | None = None) -> None:
        """Transition to a style as the scene's transition settings say (`beats` overrides their
        length; 0 = cut), starting on the next beat/bar once it is loaded."""
        settings = self.scenes.transition
        self.decks.transition_to(slug, settings.beats if beats is None else beats, settings.quantise)

    # -- styles, reported by the caller ---------------------------------------------------------

    def style_loaded(self, slug: str) -> None:
        """The caller has loaded `slug`: a deck that wants it shows it from the next frame."""
        self.decks.style_loaded(slug)

    def style_failed(self, slug: str, reason: str) -> None:
        """Loading `slug` failed: decks keep what they show, a transition to it is dropped."""
        self.counters.style_failures += 1
        self.decks.style_failed(slug, reason)

    def wanted_styles(self) -> tuple[str, ...]:
        """Slugs the decks want, for the caller to load (already loaded ones included)."""
        return self.decks.wanted()

    # -- per frame --------------------------------------------------------------------------------

    def update(self, t: float, features: AudioFeatures) -> ControlFrame:
        """Advance to frame time t (the clock events are stamped with); returns this frame's controls."""
        dt = 0.0 if self._t is None else max(t - self._t, 0.0)
        self._t = t
        tempo_features = self.tempo.update(t, features)
        position = self.tempo.position
        if self.autopilot is not None:
            showing = self.decks.shown()[self.decks.xfade >= 0.5]
            decision = self.autopilot.step(tempo_features, position, showing)
            if decision is not None:
                self.decks.transition_to(decision.slug, decision.beats, decision.quantise)
        values = dict(self.params.advance(dt))
        values["xfade"] = self.decks.advance(position)
        a, b = self.decks.shown()
        if a is None or b is None:
            values["xfade"] = float(a is None and b is not None)
        self.decks.xfade = values["xfade"]
        self._publish(tempo_features)
        return ControlFrame(values, self.scenes.routes, a, b, self.scenes.transition.mode, tempo_features,
                            position)

    def _publish(self, features: AudioFeatures) -> None:
        tempo = (round(features.bpm, 1), features.tempo_source)
        if tempo != self._tempo_shown:
            self._tempo_shown = tempo
            self.changes.tempo(float(tempo[0]), tempo[1])
        self.changes.frame_done()
        a, b = self.decks.shown()
        self.snapshot = ControlSnapshot(
            params=dict(self.params.target), style_a=a, style_b=b, xfade=self.decks.xfade,
            bpm=features.bpm, tempo_source=features.tempo_source, preset=self.scenes.preset,
            learning=self.midi.learning if self.midi is not None else None, slots=self.scenes.slots,
            transition=self.decks.transitioning,
        )
