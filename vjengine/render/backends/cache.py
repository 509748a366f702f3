"""Where compiled kernels are kept between runs."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """$VJ_CACHE_DIR, else $XDG_CACHE_HOME/vjengine, else ~/.cache/vjengine."""
    if os.environ.get("VJ_CACHE_DIR"):
        return Path(os.environ["VJ_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "vjengine"
