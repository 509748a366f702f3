"""Shared test fixtures: real-component gating (VJ_REQUIRE_REAL) and small styles."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_REAL = os.environ.get("VJ_REQUIRE_REAL") == "1"


def need_real(available: bool, what: str) -> None:
    """Skip when a real component is missing here; under VJ_REQUIRE_REAL=1 (CI) fail instead."""
    if available:
        return
    if REQUIRE_REAL:
        pytest.fail(f"real component missing under VJ_REQUIRE_REAL=1: {what}")
    pytest.skip(f"real component missing: {what}")


def need_program(name: str) -> str:
    """Path of an external program the test drives (ffmpeg, oscsend, ...), or skip/fail."""
    path = shutil.which(name)
    need_real(path is not None, f"program {name!r} on PATH")
    return path
