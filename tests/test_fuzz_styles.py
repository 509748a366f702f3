"""Hostile style folders (short fuzz run; `tools/fuzz.py styles` runs 100k+): refuse clearly or load valid."""

import pytest
from hypothesis import HealthCheck, given, settings

from tools import fuzz_styles

pytestmark = pytest.mark.unit

TOML, WEIGHTS = fuzz_styles.valid_style_bytes()


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=fuzz_styles.style_cases(TOML, WEIGHTS))
def test_mutated_style_folders_load_valid_or_are_refused_in_one_line(case, tmp_path):
    folder = tmp_path / "case" / "style"
    fuzz_styles.write_case(folder, **case)
    fuzz_styles.check_style_folder(folder)


@pytest.mark.parametrize("depth", [10, 100_000])
def test_deeply_nested_toml_is_refused_not_a_crash(tmp_path, depth):
    toml = ("x = " + "[" * depth + "]" * depth + "\n").encode() + TOML
    fuzz_styles.write_case(tmp_path / "style", toml, WEIGHTS)
    fuzz_styles.check_style_folder(tmp_path / "style")


def test_huge_width_in_config_is_refused_without_allocating(tmp_path):
    toml = TOML.replace(b"width = 8", b"width = 100000000")
    fuzz_styles.write_case(tmp_path / "style", toml, WEIGHTS)
    assert fuzz_styles.check_style_folder(tmp_path / "style") == "refused"


def test_oversized_weights_file_is_refused_before_reading(tmp_path):
    fuzz_styles.write_case(tmp_path / "style", TOML, WEIGHTS, huge=True)
    assert fuzz_styles.check_style_folder(tmp_path / "style") == "refused"
