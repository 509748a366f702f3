"""Breed mode of a show: the nine children of the current style in a 3x3 grid, pick, repeat, save.

On, it breeds from the style on deck A (crossed with deck B's when both share a CPPN config); the
frame shows the children in place of the decks (render.frame.FrameRenderer.draw_grid). A pick
makes that child the parent of the next generation; save writes it as a style whose style.toml
[breed] table records its lineage (styles.breed). Render thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path

from vjengine.control import events
from vjengine.model.cppn import CPPN
from vjengine.render.evaluate import Backend, FoldedWeights
from vjengine.styles import breed
from vjengine.styles.store import Style, save_style, style_meta

log = logging.getLogger(__name__)


class Breeding:
    """Breed mode: `handle` takes the breed events with the decks' styles; `children` feeds the grid.

    `styles` maps loaded slugs to their Style (the show's style cache), `root` is the styles folder
    that saves go to; None (a replay) breeds the same children but writes nothing.
    """

    def __init__(self, backend: Backend, styles: dict[str, Style], root: Path | None):
        self.backend = backend
        self.styles = styles
        self.root = root
        self.active = False
        self.strength = breed.DEFAULT_STRENGTH
        self.parent: Style | None = None
        self.mate: Style | None = None
        self.lineage: breed.Lineage | None = None
        self.states: list[breed.State] = []
        self.children: list[FoldedWeights] = []

    def handle(self, target: str, value: object, style_a: str | None, style_b: str | None) -> None:
        """One breed event; ValueError for one that cannot apply (the controls count it)."""
        if target == events.BREED:
            on = not self.active if value is None else bool(value)
            if on and not self.active:
                self._start(style_a, style_b)
            self.active = on
        elif target == events.BREED_STRENGTH:
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not 0.0 <= value <= breed.MAX_STRENGTH:
                raise ValueError(f"breed strength {value!r}: expected 0..{breed.MAX_STRENGTH:g}")
            self.strength = round(float(value), 6)  # OSC's float32 0.4 is recorded as 0.4
            if self.parent is not None:
                self._breed()
        elif target == events.BREED_PICK:
            self._pick(value)
        elif target == events.BREED_SAVE:
            self._save(value)
        else:
            raise ValueError(f"unknown breed target {target!r}")

    def describe(self) -> str:
        """One line for the HUD and telemetry, e.g. "gen 2 of neon x coral, strength 0.2"."""
        lineage = self.lineage
        if lineage is None:
            return "off"
        mate = f" x {lineage.mate}" if lineage.mate else ""
        return f"gen {lineage.generation} of {lineage.parent}{mate}, strength {self.strength:g}"

    def _start(self, style_a: str | None, style_b: str | None) -> None:
        parent = self.styles.get(style_a) if style_a is not None else None
        if parent is None:
            raise ValueError("breed: deck A shows no loaded style to breed from")
        mate = self.styles.get(style_b) if style_b is not None else None
        if mate is not None and (mate.config != parent.config or mate.slug == parent.slug):
            mate = None
        self.parent, self.mate = parent, mate
        self.lineage = breed.Lineage(parent.slug, breed.seed_of(parent.content_hash),
                                     mate.slug if mate is not None else "")
        self._breed()
        log.info("breeding from %s%s", parent.slug, f" x {mate.slug}" if mate is not None else "")

    def _breed(self) -> None:
        assert self.parent is not None and self.lineage is not None
        mate = self.mate.weights if self.mate is not None else None
        self.states = breed.children(self.parent.weights, mate, self.strength,
                                     self.lineage.seed + self.lineage.generation)
        self.children = [self.backend.prepare(self._style(state)) for state in self.states]

    def _style(self, state: breed.State) -> Style:
        assert self.parent is not None
        return Style(self.parent.slug, self.parent.config, state)

    def _pick(self, pick: object) -> None:
        if not self.active or self.lineage is None:
            raise ValueError("breed pick: breed mode is off")
        if isinstance(pick, bool) or not isinstance(pick, int) or not 1 <= pick <= breed.CHILDREN:
            raise ValueError(f"breed pick {pick!r}: expected 1..{breed.CHILDREN}")
        self.parent = self._style(self.states[pick - 1])
        self.lineage.picked(pick, self.strength)
        self._breed()

    def _save(self, name: object) -> None:
        if self.parent is None or self.lineage is None:
            raise ValueError("breed save: nothing bred yet (turn breed mode on first)")
        if not isinstance(name, str):
            raise ValueError(f"breed save: expected a style name, got {name!r}")
        if self.root is None:
            return
        if (self.root / name).exists():
            raise ValueError(f"breed save {name}: {self.root / name} exists (a bred style never replaces one)")
        model = CPPN(self.parent.config)
        model.load_state_dict(self.parent.weights)
        lineage = self.lineage
        meta = style_meta(self.parent.config, name, f"bred from {lineage.parent}", "breed", 0.0,
                          breed=lineage.table())
        try:
            folder = save_style(self.root, name, model, meta)
        except OSError as exc:
            raise ValueError(f"breed save {name}: cannot write ({exc.strerror or exc})") from None
        log.info("bred style saved: %s (generation %d of %s)", folder, lineage.generation, lineage.parent)
