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


@pytest.fixture
def make_style(tmp_path):
    """Write a seeded CPPN style into tmp_path/styles/<slug> and return the loaded Style;
    `deaf_to` names conditioning inputs (e.g. "beat_sin") whose weights are cut, so the style
    ignores them."""
    import torch

    from vjengine.model import conditioning
    from vjengine.model.cppn import COORD_SIZE, CPPN, CPPNConfig
    from vjengine.styles.store import load_style, save_style, style_meta

    def make(slug: str = "test-style", seed: int = 1, config: CPPNConfig = CPPNConfig(),
             deaf_to: tuple[str, ...] = ()):
        net = CPPN(config, seed=seed)
        with torch.no_grad():
            for name in deaf_to:
                net.hidden[0].weight[:, COORD_SIZE + conditioning.INDEX[name]] = 0.0
        meta = style_meta(config, slug, "a test style", "seeded-init", 0.0)
        return load_style(save_style(tmp_path / "styles", slug, net, meta))

    return make


@pytest.fixture(scope="session")
def gl_context():
    """A real headless OpenGL context (Mesa over EGL)."""
    from vjengine.render.gl import create_offscreen_context

    try:
        ctx = create_offscreen_context()
    except RuntimeError as exc:
        need_real(False, f"EGL OpenGL context ({exc})")
    yield ctx
    ctx.release()
