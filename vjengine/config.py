"""EngineConfig: everything the live engine is started with, from defaults, a TOML file and flags."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from vjengine.control.params import SPECS
from vjengine.errors import InputError
from vjengine.paths import STYLES


@dataclass(frozen=True)
class AudioConfig:
    input: str | None = None  # device name substring or index; None = system default
    samplerate: int = 44100
    channel: int | None = None  # 1-based; None mixes all channels
    gain: float = 1.0
    demo_fallback: bool = True  # loop the demo track when there is no input device


@dataclass(frozen=True)
class RenderConfig:
    size: tuple[int, int] = (1280, 720)
    fullscreen: bool = False
    monitor: int | None = None
    vsync: bool = True
    fps: float = 60.0
    render_scale: float = 0.25
    adaptive: bool = True
    min_render_scale: float = 0.125  # the adaptive scale's floor (1280x720 keeps a 160x90 CPPN)
    upscale: str = "auto"  # CPPN -> output: bilinear, cubic, edge (EASU + RCAS); auto: edge on a GPU
    backend: str = "auto"
    preview: bool = False
    hud: bool = False
    latency: float = 0.05  # seconds the picture is rendered ahead of the analysed audio (input +
    # render + display latency), so beats land on time; beats are predicted this far ahead


@dataclass(frozen=True)
class EngineConfig:
    audio: AudioConfig = field(default_factory=AudioConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    styles_dir: Path = STYLES
    style_a: str | None = None  # None: the first style in styles_dir
    style_b: str | None = None
    frames: int | None = None  # stop after this many frames (check mode)
    screenshot: Path | None = None
    record: Path | None = None
    journal: Path | None = None  # a .vjshow journal for `vjengine replay`
    snapshots: Path | None = None  # a folder for PNGs of every `snapshot_every`-th frame
    snapshot_every: int = 0
    telemetry: Path | None = None
    params: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> "EngineConfig":
        """Read [audio], [render] and top-level keys; unknown keys are an error naming the file."""
        try:
            table = tomllib.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: unreadable config ({exc})") from None
        config = cls()
        sections = {"audio": (AudioConfig, config.audio), "render": (RenderConfig, config.render)}
        changes = {}
        for key, value in table.items():
            if key in sections:
                kind, current = sections[key]
                allowed = {f.name for f in fields(kind)}
                unknown = set(value) - allowed if isinstance(value, dict) else {"(not a table)"}
                if unknown:
                    raise InputError(f"{path}: unknown keys in [{key}]: {sorted(unknown)}")
                if "size" in value:
                    value = {**value, "size": tuple(value["size"])}
                changes[key] = replace(current, **value)
            elif key == "params":
                changes[key] = _params(value, path)
            elif key in {f.name for f in fields(cls)} and key not in sections:
                changes[key] = Path(value) if key in ("styles_dir", "screenshot", "record", "journal", "snapshots",
                                                     "telemetry") else value
            else:
                raise InputError(f"{path}: unknown key {key!r}")
        return replace(config, **changes)


def _params(table: object, path: Path) -> dict[str, float]:
    """[params]: parameter names of the schema with numbers, else an InputError naming the file."""
    if not isinstance(table, dict):
        raise InputError(f"{path}: [params] must be a table")
    for name, value in table.items():
        if name not in SPECS:
            raise InputError(f"{path}: unknown parameter {name!r} in [params] "
                             f"(expected one of {', '.join(SPECS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{path}: [params] {name} = {value!r}: expected a finite number")
    return {name: float(value) for name, value in table.items()}
