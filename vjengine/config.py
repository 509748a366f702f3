"""EngineConfig: everything the live engine is started with, from defaults, a TOML file and flags.

Every setting is checked here, once, whether it comes from a flag or a file: LIMITS holds the
range of each number, and the dataclasses refuse a value of the wrong type or out of range.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from vjengine.control.params import SPECS
from vjengine.errors import InputError
from vjengine.paths import STYLES

MAX_CONFIG_BYTES = 64 << 10  # an engine config is a few lines; this bounds parse time
MAX_SIDE = 8192

# The range of every numeric setting (inclusive), for flags and config files alike.
LIMITS: dict[str, tuple[float, float]] = {
    "samplerate": (8000, 192000),
    "channel": (1, 64),
    "gain": (0.0, 100.0),
    "monitor": (0, 63),
    "fps": (1.0, 240.0),
    "render_scale": (0.05, 1.0),
    "min_render_scale": (0.01, 1.0),
    "latency": (0.0, 0.15),
    "frames": (1, 1 << 31),
    "snapshot_every": (0, 1 << 31),
    "xfade_beats": (0.0, 1024.0),
}
UPSCALERS = ("bilinear", "cubic", "edge")  # CPPN -> output: bilinear, Catmull-Rom, EASU + RCAS
INTEGERS = {"samplerate", "channel", "monitor", "frames", "snapshot_every"}


def check_number(name: str, value: object) -> float | int:
    """value as the setting's int or float if it is a finite number in LIMITS[name], else InputError."""
    low, high = LIMITS[name]
    kind = "a whole number" if name in INTEGERS else "a number"
    number = not isinstance(value, bool) and isinstance(value, (int, float))
    if name in INTEGERS and isinstance(value, float) and value.is_integer():
        value = int(value)
    if (not number or (name in INTEGERS and not isinstance(value, int)) or not math.isfinite(value)
            or not low <= value <= high):
        raise InputError(f"{name} = {value!r}: expected {kind} from {low:g} to {high:g}")
    return value if name in INTEGERS else float(value)


def check_size(value: object) -> tuple[int, int]:
    """A (width, height) pair of whole numbers 16..MAX_SIDE, else InputError."""
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(side, int) and not isinstance(side, bool) and 16 <= side <= MAX_SIDE
                       for side in value)):
        raise InputError(f"size = {value!r}: expected [WIDTH, HEIGHT], each 16..{MAX_SIDE} pixels")
    return tuple(value)


def _check(config: object, kinds: dict[str, type | tuple[type, ...]]) -> None:
    """Check a frozen config dataclass in place: numbers against LIMITS, other fields by type."""
    for item in fields(config):
        name, value = item.name, getattr(config, item.name)
        if value is None and item.default is None:
            continue
        if name in LIMITS:
            object.__setattr__(config, name, check_number(name, value))
        elif name in ("size", "record_size"):
            object.__setattr__(config, name, check_size(value))
        elif name in kinds and (isinstance(value, bool) != (kinds[name] is bool)
                                or not isinstance(value, kinds[name])):
            expected = getattr(kinds[name], "__name__", "a path")
            raise InputError(f"{name} = {value!r}: expected {'true or false' if expected == 'bool' else expected}")


@dataclass(frozen=True)
class AudioConfig:
    input: str | None = None  # device name substring or index; None = system default
    samplerate: int = 44100
    channel: int | None = None  # 1-based; None mixes all channels
    gain: float = 1.0
    demo_fallback: bool = True  # loop the demo track when there is no input device

    def __post_init__(self):
        if isinstance(self.input, int) and not isinstance(self.input, bool):
            object.__setattr__(self, "input", str(self.input))
        _check(self, {"input": str, "demo_fallback": bool})


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
    upscale: str = "auto"  # "auto" (edge, but bilinear on a software renderer) or one of UPSCALERS
    backend: str = "auto"
    preview: bool = False
    hud: bool = False
    latency: float = 0.05  # seconds the picture is rendered ahead of the analysed audio (input +
    # render + display latency), so beats land on time; beats are predicted this far ahead

    def __post_init__(self):
        _check(self, {"backend": str, "upscale": str, **{name: bool for name in (
            "fullscreen", "vsync", "adaptive", "preview", "hud")}})
        if self.upscale not in ("auto", *UPSCALERS):
            raise InputError(f"upscale = {self.upscale!r}: expected auto or one of {', '.join(UPSCALERS)}")


@dataclass(frozen=True)
class OfflineConfig:
    """What `vjengine render` renders at unless told otherwise; the picture settings are the live ones."""

    size: tuple[int, int] = RenderConfig.size
    fps: float = 30.0
    render_scale: float = RenderConfig.render_scale
    backend: str = RenderConfig.backend
    upscale: str = RenderConfig.upscale
    xfade_beats: float = 8.0  # beats per A -> B swing


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
    record_size: tuple[int, int] | None = None  # None: recorder.record_size's default
    journal: Path | None = None  # a .vjshow journal for `vjengine replay`
    snapshots: Path | None = None  # a folder for PNGs of every `snapshot_every`-th frame
    snapshot_every: int = 0
    telemetry: Path | None = None
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        paths = ("styles_dir", "screenshot", "record", "journal", "snapshots", "telemetry")
        _check(self, {"style_a": str, "style_b": str, "params": dict, **{name: Path for name in paths}})
        if self.record_size is not None and (self.record_size[0] % 2 or self.record_size[1] % 2):
            width, height = self.record_size
            raise InputError(f"--record-size {width}x{height}: h264 needs even width and height")

    @classmethod
    def from_toml(cls, path: Path) -> "EngineConfig":
        """Read [audio], [render] and top-level keys; unknown keys are an error naming the file."""
        try:
            with open(path, "rb") as file:
                data = file.read(MAX_CONFIG_BYTES + 1)
            if len(data) > MAX_CONFIG_BYTES:
                raise InputError(f"{path}: config larger than {MAX_CONFIG_BYTES >> 10} KiB")
            table = tomllib.loads(data.decode())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{path}: unreadable config ({exc})") from None
        except RecursionError:
            raise InputError(f"{path}: unreadable config (nested too deeply)") from None
        try:
            return cls._from_table(table)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None

    @classmethod
    def _from_table(cls, table: dict) -> "EngineConfig":
        """The config a parsed file describes; errors name the key but not the file."""
        config = cls()
        sections = {"audio": config.audio, "render": config.render}
        paths = {"styles_dir", "screenshot", "record", "journal", "snapshots", "telemetry"}
        changes = {}
        for key, value in table.items():
            if key in sections:
                allowed = {f.name for f in fields(sections[key])}
                unknown = set(value) - allowed if isinstance(value, dict) else {"(not a table)"}
                if unknown:
                    raise InputError(f"unknown keys in [{key}]: {sorted(unknown)}")
                try:
                    changes[key] = replace(sections[key], **value)
                except InputError as exc:
                    raise InputError(f"[{key}] {exc}") from None
            elif key == "params":
                changes[key] = _params(value)
            elif key in {f.name for f in fields(cls)}:
                changes[key] = Path(value) if key in paths and isinstance(value, str) else value
            else:
                raise InputError(f"unknown key {key!r}")
        return replace(config, **changes)


def _params(table: object) -> dict[str, float]:
    """[params]: parameter names of the schema with finite numbers, else an InputError."""
    if not isinstance(table, dict):
        raise InputError("[params] must be a table")
    for name, value in table.items():
        if name not in SPECS:
            raise InputError(f"unknown parameter {name!r} in [params] (expected one of {', '.join(SPECS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"[params] {name} = {value!r}: expected a finite number")
    return {name: float(value) for name, value in table.items()}
