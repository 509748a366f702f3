"""Raw MIDI byte streams into the engine's MIDI handling (short run; `tools/fuzz.py midi` runs more)."""

import pytest
from hypothesis import HealthCheck, given, settings

from tools import fuzz_midi

pytestmark = pytest.mark.unit


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=fuzz_midi.cases())
def test_any_bytes_are_events_or_ignored_and_state_and_tempo_stay_sane(case):
    port, messages, gaps = case
    counts = fuzz_midi.MidiTarget().run(port, messages, gaps)
    assert counts["events"] + counts["ignored"] == len(messages)


def test_a_clock_flood_with_no_time_between_ticks_gives_no_tempo_rather_than_an_absurd_one():
    target = fuzz_midi.MidiTarget()
    target.run("Some Keyboard", [[0xFA]] + [[0xF8]] * 5000, [0.0])
    assert target.state.snapshot.bpm == 0.0
