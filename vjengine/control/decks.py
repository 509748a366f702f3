"""Decks A and B: the styles they want and show, and the beat-quantised transitions between them.

A deck only shows a style once the caller reports it loaded; a failed style leaves the deck as it
was. The crossfade is the `xfade` parameter, which a transition moves and then hands back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vjengine.control.changes import Changes
from vjengine.control.params import ParamState
from vjengine.control.transitions import MAX_BEATS, Transition, next_boundary

log = logging.getLogger(__name__)

DECKS = ("a", "b")


@dataclass
class Deck:
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


class Decks:
    """The two decks, indexed by "a" and "b" (render thread)."""

    def __init__(self, params: ParamState, changes: Changes, beats_per_bar: int = 4):
        self.params = params
        self.changes = changes
        self.beats_per_bar = beats_per_bar
        self._decks = {deck: Deck() for deck in DECKS}
        self.loaded: set[str] = set()  # styles the caller has loaded
        self.xfade = 0.0  # the crossfade of the last frame
        self._pending_transition: _PendingTransition | None = None
        self._transition: Transition | None = None
        self._pending_scene: _PendingScene | None = None

    def __getitem__(self, deck: str) -> Deck:
        return self._decks[deck]

    @property
    def transitioning(self) -> bool:
        """A transition is waiting for its style or its beat, or moving."""
        return self._transition is not None or self._pending_transition is not None

    def put(self, deck: str, slug: str) -> None:
        """Put a style on a deck as soon as it is loaded (no transition)."""
        if self._pending_transition is not None and self._pending_transition.deck == deck:
            self._pending_transition = None
        self._pending_scene = None
        self._decks[deck].wanted = slug

    def take_over_xfade(self) -> None:
        """Stop a transition where it is; the xfade parameter carries on from there."""
        if self.transitioning:
            self._transition = self._pending_transition = None
            self.params.snap("xfade", self.xfade)

    def transition_to(self, slug: str, beats: float, quantise: str) -> None:
        """Transition to a style over `beats` (0 = cut), starting on the next `quantise` boundary
        once it is loaded. The style goes on the deck that already has it, else on the less
        visible deck, and the crossfade moves to that deck."""
        if not 0.0 <= beats <= MAX_BEATS:
            raise ValueError(f"transition length {beats:g}: expected 0..{MAX_BEATS:g} beats")
        self.take_over_xfade()
        self._pending_scene = None
        deck = next((d for d in DECKS if self._decks[d].wanted == slug), None)
        if deck is None:
            deck = "b" if self.xfade < 0.5 else "a"
            self._decks[deck].wanted = slug
        self._pending_transition = _PendingTransition(deck, slug, beats, quantise)

    def cut_to(self, style_a: str, style_b: str | None, xfade: float, quantise: str) -> None:
        """A scene's styles: both decks switch together, with the crossfade at `xfade`, on the next
        `quantise` boundary once both are loaded."""
        self._transition = self._pending_transition = None
        self._decks["a"].wanted, self._decks["b"].wanted = style_a, style_b
        self._pending_scene = _PendingScene(xfade, quantise)

    def style_loaded(self, slug: str) -> None:
        self.loaded.add(slug)

    def style_failed(self, slug: str, reason: str) -> None:
        self.loaded.discard(slug)
        for name, deck in self._decks.items():
            if deck.wanted == slug:
                deck.wanted = deck.shown
                log.warning("style %s for deck %s failed to load (%s); keeping %s",
                            slug, name.upper(), reason, deck.shown)
        if self._pending_transition is not None and self._pending_transition.slug == slug:
            self._pending_transition = None

    def wanted(self) -> tuple[str, ...]:
        """Slugs the decks want (already loaded ones included)."""
        return tuple(dict.fromkeys(d.wanted for d in self._decks.values() if d.wanted is not None))

    def shown(self) -> tuple[str | None, str | None]:
        return self._decks["a"].shown, self._decks["b"].shown

    def advance(self, position: float) -> float:
        """Move decks and transitions to this beat position; returns the crossfade there."""
        self._advance_decks(position)
        transition = self._transition
        if transition is None:
            return self.params.current["xfade"]
        amount = transition.amount(position)
        if transition.done(position):
            self._transition = None
            self.params.snap("xfade", transition.end)
        self.changes.param("xfade", transition.end if self._transition is None else amount)
        return amount

    def _ready(self, slug: str | None) -> bool:
        return slug is None or slug in self.loaded

    def _show(self, deck: str) -> None:
        if self._decks[deck].shown != self._decks[deck].wanted:
            self._decks[deck].shown = self._decks[deck].wanted
            self.changes.style(deck, self._decks[deck].shown)

    def _advance_decks(self, position: float) -> None:
        scene = self._pending_scene
        if scene is not None:
            if all(self._ready(d.wanted) for d in self._decks.values()):
                if scene.start is None:
                    scene.start = next_boundary(position, scene.quantise, self.beats_per_bar)
                if position >= scene.start:
                    for deck in DECKS:
                        self._show(deck)
                    self.params.snap("xfade", scene.xfade)
                    self.changes.param("xfade", self.params.target["xfade"])
                    self._pending_scene = None
            return
        for deck in DECKS:
            if self._ready(self._decks[deck].wanted):
                self._show(deck)
        pending = self._pending_transition
        if pending is not None and self._decks[pending.deck].shown == pending.slug:
            start = next_boundary(position, pending.quantise, self.beats_per_bar)
            end = 1.0 if pending.deck == "b" else 0.0
            self._transition = Transition(start, pending.beats, self.xfade, end)
            self._pending_transition = None
