"""Change notifications: what the controls report as the show's state changes (OSC feedback listens)."""

from __future__ import annotations

from typing import Protocol


class Changes(Protocol):
    """Told of each change as it happens (render thread); `frame_done` closes each frame."""

    def param(self, name: str, value: float) -> None:
        """A parameter's target, or the crossfade ("xfade") while a transition moves it, in its units."""

    def style(self, deck: str, slug: str | None) -> None:
        """Deck "a" or "b" shows another style (None: none)."""

    def preset(self, name: str) -> None:
        """A preset was loaded or saved under this name."""

    def learning(self, param: str) -> None:
        """MIDI learn waits for a CC for this parameter ("": learning ended)."""

    def tempo(self, bpm: float, source: str) -> None:
        """The shown tempo (to 0.1 BPM) or its source changed."""

    def frame_done(self) -> None:
        """The frame's changes are complete."""


class Unheard:
    """Changes nobody listens to."""

    def param(self, name: str, value: float) -> None:
        pass

    def style(self, deck: str, slug: str | None) -> None:
        pass

    def preset(self, name: str) -> None:
        pass

    def learning(self, param: str) -> None:
        pass

    def tempo(self, bpm: float, source: str) -> None:
        pass

    def frame_done(self) -> None:
        pass
