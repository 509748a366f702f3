"""Where the engine's data folders live: next to the package in a clone, overridable by flags."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHADERS = REPO_ROOT / "shaders"
STYLES = REPO_ROOT / "styles"
PRESETS = REPO_ROOT / "presets"
