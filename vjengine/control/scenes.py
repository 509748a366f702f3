"""The scene part of the controls: style slots, transition settings, modulation routes, presets.

A scene (control.presets.Scene) is applied over the current state: its parameters glide (or jump),
its styles cut in together on the next beat or bar; the current state can be saved as a scene.
"""

from __future__ import annotations

import logging

from vjengine.control.changes import Changes
from vjengine.control.decks import Decks
from vjengine.control.params import PARAMS, ParamState
from vjengine.control.presets import KEEP, SLOT_COUNT, PresetLibrary, Scene, TransitionSettings
from vjengine.control.routes import Route

log = logging.getLogger(__name__)


class Scenes:
    """The scene's settings and the presets folder (render thread)."""

    def __init__(self, presets: PresetLibrary | None, params: ParamState, decks: Decks, changes: Changes):
        self.presets = presets
        self.params = params
        self.decks = decks
        self.changes = changes
        self.slots: tuple[str, ...] = ()
        self.transition = TransitionSettings()
        self.routes: tuple[Route, ...] = ()
        self.preset = ""  # the last preset loaded or saved

    def slot(self, value: object) -> str:
        """The style in slot `value` (1-based), or a ValueError."""
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= SLOT_COUNT:
            raise ValueError(f"slot {value!r}: expected 1..{SLOT_COUNT}")
        if value > len(self.slots):
            raise ValueError(f"slot {value} is empty (the scene has {len(self.slots)} slots)")
        return self.slots[value - 1]

    def apply(self, scene: Scene, at_once: bool = False) -> None:
        """Apply a scene: parameters glide (or jump when at_once), styles cut on the next beat/bar.
        Parameters it does not set go back to their defaults, except those it keeps (presets.KEEP
        unless it says), which stay: the crossfader stays where the performer has it."""
        if scene.transition is not None:
            self.transition = scene.transition
        if scene.slots is not None:
            self.slots = scene.slots
        if scene.routes is not None:
            self.routes = scene.routes
        xfade = self.params.target["xfade"]
        if scene.params is not None:
            keep = KEEP if scene.keep is None else scene.keep
            for spec in PARAMS:
                if spec.name in keep and spec.name not in scene.params:
                    continue
                value = scene.params.get(spec.name, spec.default)
                if spec.name == "xfade" and scene.style_a is not None:
                    xfade = spec.clamp(value)  # switched together with the styles
                    continue
                self.changes.param(spec.name, self.params.set(spec.name, value))
        if scene.style_a is not None:
            self.decks.cut_to(scene.style_a, scene.style_b, xfade,
                              "none" if at_once else self.transition.quantise)
        if at_once:
            self.params.jump()

    def current(self, name: str = "") -> Scene:
        """The state as a scene (targets, not smoothed values), for saving."""
        a, b = self.decks.shown()
        params = {name: value for name, value in self.params.target.items() if name != "xfade"}
        return Scene(name=name, style_a=a, style_b=b if a is not None else None, slots=self.slots,
                     transition=self.transition, params=params, routes=self.routes)

    def load(self, name: object) -> None:
        """Apply presets/<name>.toml; a bad name or file raises PresetError."""
        scene = self._library().load(name)
        self.apply(scene)
        self.preset = name
        self.changes.preset(name)
        log.info("preset %s loaded", name)

    def save(self, name: object) -> None:
        """Save the current state as presets/<name>.toml."""
        path = self._library().save(name, self.current(name))
        self.preset = name
        self.changes.preset(name)
        log.info("preset saved: %s", path)

    def _library(self) -> PresetLibrary:
        if self.presets is None:
            raise ValueError("no presets folder")
        return self.presets
