"""MIDI through the maps: raw CCs and notes become control events, and MIDI learn binds new CCs."""

from __future__ import annotations

import logging
from collections.abc import Callable

from vjengine.control import events
from vjengine.control.changes import Changes
from vjengine.control.events import ControlEvent
from vjengine.control.midimap import MidiMapper

log = logging.getLogger(__name__)

TARGETS = (events.LEARN, events.LEARN_SAVE, events.MIDI_CC, events.MIDI_NOTE)


class MidiLearn:
    """Handles the MIDI and learn events for a MidiMapper (render thread)."""

    def __init__(self, mapper: MidiMapper, changes: Changes):
        self.mapper = mapper
        self.changes = changes

    @property
    def learning(self) -> str | None:
        """The parameter waiting for a CC, if any."""
        return self.mapper.learning

    def handle(self, event: ControlEvent, dispatch: Callable[[ControlEvent], None]) -> None:
        """Learn, save the map, or translate a CC or note into events for `dispatch`."""
        if event.target == events.LEARN:
            self.mapper.learn(event.value)
            self.changes.learning(event.value)
        elif event.target == events.LEARN_SAVE:
            log.info("MIDI map saved: %s", self.mapper.save(event.value))
        else:
            learning = self.mapper.learning
            for mapped in self.mapper.translate(event):
                dispatch(mapped)
            if learning and self.mapper.learning is None:
                self.changes.learning("")
