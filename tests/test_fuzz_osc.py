"""Hostile OSC datagrams into the running server (short run; `tools/fuzz.py osc` runs 100k+)."""

import pytest
from hypothesis import HealthCheck, given, settings

from tools import fuzz_osc

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def target():
    target = fuzz_osc.OscTarget()
    yield target
    target.close()


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=fuzz_osc.cases())
def test_any_datagrams_are_counted_the_server_answers_and_the_state_stays_in_the_schema(target, case):
    target.run(case)


def test_no_file_was_written_outside_the_presets_folder(target):
    target.check_files()
