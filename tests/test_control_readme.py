"""The README's OSC address table and MIDI map table are the ones generated from the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from vjengine.control import docs
from vjengine.control.midimap import MidiMapLibrary
from vjengine.control.osc import COMMANDS
from vjengine.control.params import PARAMS

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_osc_table_is_generated_from_the_schema():
    table = docs.between(README, docs.OSC_MARKERS)
    assert table == docs.osc_table(), "regenerate with: vjengine presets --markdown"
    for spec in PARAMS:
        assert f"| `{spec.name}` | " in table
    for command in COMMANDS:
        assert f"| `{command.address}` |" in table


def test_readme_midi_table_is_generated_from_the_shipped_maps():
    table = docs.between(README, docs.MIDI_MARKERS)
    assert table == docs.midi_table(MidiMapLibrary(ROOT / "presets" / "midi"))
