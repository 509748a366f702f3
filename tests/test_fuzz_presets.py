"""Hostile preset and MIDI map files and names (short run; `tools/fuzz.py presets|midimap` runs 100k+)."""

import pytest
from hypothesis import HealthCheck, given, settings

from tools import fuzz_presets

pytestmark = pytest.mark.unit

SETTINGS = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@SETTINGS
@given(text=fuzz_presets.preset_texts(), name=fuzz_presets.NAMES)
def test_presets_load_within_the_schema_or_are_refused_in_one_line(tmp_path, text, name):
    fuzz_presets.check_preset(tmp_path / "presets", text, name)
    fuzz_presets.check_contained(tmp_path)


@SETTINGS
@given(text=fuzz_presets.map_texts(), name=fuzz_presets.NAMES)
def test_midi_maps_load_within_the_schema_or_are_refused_in_one_line(tmp_path, text, name):
    fuzz_presets.check_map(tmp_path / "midi", text, name)
    fuzz_presets.check_contained(tmp_path)
