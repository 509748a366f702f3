"""Hostile show journals (short run; `tools/fuzz.py journal` runs 100k+): replayable or one line."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tools import fuzz_journal

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return fuzz_journal.base_journal(tmp_path_factory.mktemp("base")).read_bytes()


def test_the_base_journal_reads(base, tmp_path):
    path = fuzz_journal.write_case(tmp_path / "base.vjshow", base, None)
    assert fuzz_journal.check_journal(path) == "read"


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_journals_read_within_the_caps_or_are_refused_in_one_line(base, tmp_path, data):
    case = data.draw(fuzz_journal.cases(base))
    fuzz_journal.check_journal(fuzz_journal.write_case(tmp_path / "case.vjshow", **case))
