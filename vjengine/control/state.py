"""ControlState: the render thread's one object for the show's controls.

Per frame the render loop hands it every ControlEvent (bus and MIDI), calls `update(t, features)`,
and reads the returned ControlFrame: smoothed parameter values ("xfade" after transitions), the
scene's modulation routes and blend mode, the styles on decks A and B, and the features with the
active tempo source. Loading styles is the caller's job, off the render thread:
it loads `wanted_styles()` and reports back with `style_loaded` or `style_failed`; a deck only
shows a style once it is loaded, and a failed style leaves the deck as it was.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

from vjengine.audio.features import AudioFeatures
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.midimap import MidiMapper
from vjengine.control.oscout import FeatureOut, Feedback
from vjengine.control.params import PARAMS, SPECS, ParamState
from vjengine.control.presets import (
    NAME_PATTERN,
    SLOT_COUNT,
    PresetError,
    PresetLibrary,
    Scene,
    TransitionSettings,
)
from vjengine.control.routes import Route
from vjengine.control.tempo import TempoEngine
from vjengine.control.transitions import MAX_BEATS, Transition, next_boundary

log = logging.getLogger(__name__)

DECKS = ("a", "b")
MAX_LOGGED_PRESET_ERRORS = 256  # distinct preset errors logged; later ones are only counted


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


@dataclass
class _Deck:
    shown: str | None = None  # loaded and on screen
    wanted: str | None = None  # asked for; shown once loaded


@dataclass
class _PendingTransition:
    deck: str
    slug: str
    beats: float
    quantise: str


@dataclass
class _PendingScene:
    xfade: float
    quantise: str
    start: float | None = None


def _slug(value: object, what: str) -> str:
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise ValueError(f"{what}: {value!r} is not a style slug (a-z, 0-9, '-', '_')")
    return value


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return float(value)


class ControlState:
    """Parameters, decks, transitions, scenes, MIDI learn and tempo, advanced once per frame."""

    def __init__(self, presets: PresetLibrary | None = None, midi: MidiMapper | None = None,
                 feedback: Feedback | None = None, feature_out: FeatureOut | None = None,
                 beats_per_bar: int = 4):
        self.presets = presets
        self.midi = midi
        self.feedback = feedback
        self.feature_out = feature_out
        self.beats_per_bar = beats_per_bar
        self.params = ParamState()
        self.tempo = TempoEngine()
        self.decks = {deck: _Deck() for deck in DECKS}
        self.slots: tuple[str, ...] = ()
        self.transition_settings = TransitionSettings()
        self.routes: tuple[Route, ...] = ()
        self.preset = ""
        self.counters = ControlCounters()
        self.snapshot = ControlSnapshot()
        self._loaded: set[str] = set()  # styles the caller has loaded
        self._pending_transition: _PendingTransition | None = None
        self._transition: Transition | None = None
        self._pending_scene: _PendingScene | None = None
        self._xfade = 0.0
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
        param = events.split_param_target(target)
        if param is not None:
            self._set_param(*param, value)
        elif target in (events.STYLE_A, events.STYLE_B):
            self._set_deck(target[-1], _slug(value, target))
        elif target == events.SLOT:
            self._slot(value)
        elif target == events.TRANSITION:
            slug, beats = value
            self.transition_to(_slug(slug, target),
                               None if beats is None else _finite(beats, "transition beats"))
        elif target == events.PRESET:
            self.load_preset(value)
        elif target == events.PRESET_SAVE:
            self.save_preset(value)
        elif target == events.TAP:
            self.tempo.manual.tap(event.t)
        elif target == events.TEMPO:
            bpm = _finite(value, "tempo")
            if bpm == 0:
                self.tempo.manual.release()
            else:
                self.tempo.manual.set_bpm(bpm)
        elif target in (events.LEARN, events.LEARN_SAVE, events.MIDI_CC, events.MIDI_NOTE):
            self._midi(event)
        elif target == events.MIDI_CLOCK:
            self.tempo.midi_clock.tick(event.t)
        elif target == events.MIDI_START:
            self.tempo.midi_clock.start(event.t)
        elif target == events.MIDI_STOP:
            self.tempo.midi_clock.stop(event.t)
        elif target == events.MIDI_CONTINUE:
            self.tempo.midi_clock.resume(event.t)
        else:
            raise ValueError("unknown target")

    def _set_param(self, name: str, mode: str, value: object) -> None:
        if name not in SPECS:
            raise ValueError(f"unknown parameter {name!r}")
        value = _finite(value, name)
        if name == "xfade":
            self._take_over_xfade()
        if mode == "abs":
            self.params.set(name, value)
        elif mode == "nudge":
            self.params.nudge(name, value)
        else:
            self.params.set_normalised(name, value)
        self._echo_param(name)

    def _midi(self, event: ControlEvent) -> None:
        if self.midi is None:
            raise ValueError("MIDI is not enabled")
        if event.target == events.LEARN:
            self.midi.learn(event.value)
            self._echo("/vj/learn", event.value)
        elif event.target == events.LEARN_SAVE:
            path = self.midi.save(event.value)
            log.info("MIDI map saved: %s", path)
        else:
            learning = self.midi.learning
            for mapped in self.midi.translate(event):
                self._dispatch(mapped)
            if learning and self.midi.learning is None:
                self._echo("/vj/learn", "")

    def _slot(self, value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SLOT_COUNT:
            raise ValueError(f"slot {value!r}: expected 1..{SLOT_COUNT}")
        if value > len(self.slots):
            raise ValueError(f"slot {value} is empty (the scene has {len(self.slots)} slots)")
        self.transition_to(self.slots[value - 1])

    # -- decks and transitions --------------------------------------------------------------------

    def _set_deck(self, deck: str, slug: str) -> None:
        """Put a style on a deck as soon as it is loaded (no transition)."""
        if self._pending_transition is not None and self._pending_transition.deck == deck:
            self._pending_transition = None
        self._pending_scene = None
        self.decks[deck].wanted = slug

    def _take_over_xfade(self) -> None:
        """Stop a transition where it is; the xfade parameter carries on from there."""
        if self._transition is not None or self._pending_transition is not None:
            self._transition = self._pending_transition = None
            self.params.snap("xfade", self._xfade)

    def transition_to(self, slug: str, beats: float | None = None) -> None:
        """Transition to a style, starting on the scene's next beat/bar once it is loaded.

        The style goes on the deck that already has it, else on the less visible deck, and the
        crossfade moves to that deck over `beats` (the scene's length when None; 0 = cut).
        """
        settings = self.transition_settings
        beats = settings.beats if beats is None else beats
        if not 0.0 <= beats <= MAX_BEATS:
            raise ValueError(f"transition length {beats:g}: expected 0..{MAX_BEATS:g} beats")
        self._take_over_xfade()
        self._pending_scene = None
        deck = next((d for d in DECKS if self.decks[d].wanted == slug), None)
        if deck is None:
            deck = "b" if self._xfade < 0.5 else "a"
            self.decks[deck].wanted = slug
        self._pending_transition = _PendingTransition(deck, slug, beats, settings.quantise)

    def style_loaded(self, slug: str) -> None:
        """The caller has loaded `slug`: a deck that wants it shows it from the next frame."""
        self._loaded.add(slug)

    def style_failed(self, slug: str, reason: str) -> None:
        """Loading `slug` failed: decks keep what they show, a transition to it is dropped."""
        self.counters.style_failures += 1
        self._loaded.discard(slug)
        for name, deck in self.decks.items():
            if deck.wanted == slug:
                deck.wanted = deck.shown
                log.warning("style %s for deck %s failed to load (%s); keeping %s",
                            slug, name.upper(), reason, deck.shown)
        if self._pending_transition is not None and self._pending_transition.slug == slug:
            self._pending_transition = None

    def wanted_styles(self) -> tuple[str, ...]:
        """Slugs the decks want, for the caller to load (already loaded ones included)."""
        return tuple(dict.fromkeys(d.wanted for d in self.decks.values() if d.wanted is not None))

    def _ready(self, slug: str | None) -> bool:
        return slug is None or slug in self._loaded

    def _show(self, deck: str) -> None:
        if self.decks[deck].shown != self.decks[deck].wanted:
            self.decks[deck].shown = self.decks[deck].wanted
            self._echo(f"/vj/style/{deck}", self.decks[deck].shown or "")

    def _advance_decks(self, position: float) -> None:
        scene = self._pending_scene
        if scene is not None:
            if all(self._ready(d.wanted) for d in self.decks.values()):
                if scene.start is None:
                    scene.start = next_boundary(position, scene.quantise, self.beats_per_bar)
                if position >= scene.start:
                    for deck in DECKS:
                        self._show(deck)
                    self.params.snap("xfade", scene.xfade)
                    self._echo_param("xfade")
                    self._pending_scene = None
            return
        for deck in DECKS:
            if self._ready(self.decks[deck].wanted):
                self._show(deck)
        pending = self._pending_transition
        if pending is not None and self.decks[pending.deck].shown == pending.slug:
            start = next_boundary(position, pending.quantise, self.beats_per_bar)
            end = 1.0 if pending.deck == "b" else 0.0
            self._transition = Transition(start, pending.beats, self._xfade, end)
            self._pending_transition = None

    def _advance_transition(self, position: float) -> float:
        """The crossfade at this beat position; a finished transition hands over to the parameter."""
        transition = self._transition
        if transition is None:
            return self.params.current["xfade"]
        amount = transition.amount(position)
        if transition.done(position):
            self._transition = None
            self.params.snap("xfade", transition.end)
        self._echo_param("xfade", transition.end if self._transition is None else amount)
        return amount

    # -- scenes -----------------------------------------------------------------------------------

    def apply_scene(self, scene: Scene, at_once: bool = False) -> None:
        """Apply a scene: parameters glide (or jump when at_once), styles cut on the next beat/bar."""
        if scene.transition is not None:
            self.transition_settings = scene.transition
        if scene.slots is not None:
            self.slots = scene.slots
        if scene.routes is not None:
            self.routes = scene.routes
        xfade = self.params.target["xfade"]
        if scene.params is not None:
            for spec in PARAMS:
                value = scene.params.get(spec.name, spec.default)
                if spec.name == "xfade" and scene.style_a is not None:
                    xfade = spec.clamp(value)  # switched together with the styles
                    continue
                self.params.set(spec.name, value)
                self._echo_param(spec.name)
        if scene.style_a is not None:
            self._transition = self._pending_transition = None
            self.decks["a"].wanted, self.decks["b"].wanted = scene.style_a, scene.style_b
            quantise = "none" if at_once else self.transition_settings.quantise
            self._pending_scene = _PendingScene(xfade, quantise)
        if at_once:
            self.params.jump()

    def current_scene(self, name: str = "") -> Scene:
        """The state as a scene (targets, not smoothed values), for saving."""
        a, b = self.decks["a"].shown, self.decks["b"].shown
        return Scene(name=name, style_a=a, style_b=b if a is not None else None, slots=self.slots,
                     transition=self.transition_settings, params=dict(self.params.target),
                     routes=self.routes)

    def load_preset(self, name: object) -> None:
        if self.presets is None:
            raise ValueError("no presets folder")
        scene = self.presets.load(name)
        self.apply_scene(scene)
        self.preset = name
        self._echo("/vj/preset", name)
        log.info("preset %s loaded", name)

    def save_preset(self, name: object) -> None:
        if self.presets is None:
            raise ValueError("no presets folder")
        path = self.presets.save(name, self.current_scene(name))
        self.preset = name
        self._echo("/vj/preset", name)
        log.info("preset saved: %s", path)

    # -- per frame --------------------------------------------------------------------------------

    def update(self, t: float, features: AudioFeatures) -> ControlFrame:
        """Advance to frame time t (the clock events are stamped with); returns this frame's controls."""
        dt = 0.0 if self._t is None else max(t - self._t, 0.0)
        self._t = t
        tempo_features = self.tempo.update(t, features)
        position = self.tempo.position
        values = dict(self.params.advance(dt))
        self._advance_decks(position)
        values["xfade"] = self._advance_transition(position)
        a, b = self.decks["a"].shown, self.decks["b"].shown
        if a is None or b is None:
            values["xfade"] = float(a is None and b is not None)
        self._xfade = values["xfade"]
        self._publish(tempo_features, t)
        return ControlFrame(values, self.routes, a, b, self.transition_settings.mode, tempo_features,
                            position)

    def _publish(self, features: AudioFeatures, t: float) -> None:
        tempo = (round(features.bpm, 1), features.tempo_source)
        if tempo != self._tempo_shown:
            self._tempo_shown = tempo
            self._echo("/vj/tempo", float(tempo[0]))
            self._echo("/vj/tempo/source", tempo[1])
        if self.feedback is not None:
            self.feedback.flush()
        if self.feature_out is not None:
            self.feature_out.frame(features, t)
        self.snapshot = ControlSnapshot(
            params=dict(self.params.target), style_a=self.decks["a"].shown,
            style_b=self.decks["b"].shown, xfade=self._xfade, bpm=features.bpm,
            tempo_source=features.tempo_source, preset=self.preset,
            learning=self.midi.learning if self.midi is not None else None, slots=self.slots,
            transition=self._transition is not None or self._pending_transition is not None,
        )

    def _echo(self, address: str, *values: object) -> None:
        if self.feedback is not None:
            self.feedback.changed(address, *values)

    def _echo_param(self, name: str, value: float | None = None) -> None:
        if self.feedback is None:
            return
        value = self.params.target[name] if value is None else value
        self.feedback.changed(f"/vj/param/{name}", SPECS[name].to_normalised(value))
        if name == "xfade":
            self.feedback.changed("/vj/xfade", float(value))
