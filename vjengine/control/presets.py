"""Scenes in presets/<name>.toml: styles, slots, transition settings, parameters, modulation routes.

A table left out of a file leaves that part of the show as it is when the scene loads; in [params]
a parameter left out goes back to its default, unless `keep` names it: those stay as they are.
`keep` defaults to the performer's hands-on controls (KEEP: the crossfader, trails, kaleidoscope),
so a scene that does not set them leaves them alone mid-set; `keep = []` resets them too. Saved
scenes write every part but the crossfader's position, so that save -> load gives back the scene.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import tomli_w

from vjengine.control.params import PARAMS, SPECS
from vjengine.control.routes import Route
from vjengine.errors import InputError
from vjengine.control.transitions import MAX_BEATS, MODES, QUANTISE
from vjengine.names import NAME_PATTERN, NAME_RULE, is_name
from vjengine.tomlfile import MAX_BYTES as MAX_FILE_BYTES
from vjengine.tomlfile import parse_small_toml

log = logging.getLogger(__name__)
T = TypeVar("T")

SLOT_COUNT = 9
WATCH_SECONDS = 0.5  # how often a watched presets folder is looked at for changed files
SCENE_KEYS = {"name", "styles", "slots", "transition", "params", "routes", "keep"}
KEEP = ("xfade", "trails", "kaleido")  # what a scene without `keep` leaves alone unless it sets it


class PresetError(InputError):
    """A preset or MIDI map that cannot be used; str() is one line naming the file."""


def check_name(name: object, what: str = "preset") -> str:
    """Return name if it is a safe file name (a-z, 0-9, '-', '_'; at most 64), else raise."""
    if not is_name(name):
        raise PresetError(f"{what} name {name!r}: expected {NAME_RULE}")
    return name


def check_slug(slug: object, where: str) -> str:
    if not is_name(slug):
        raise PresetError(f"{where}: style {slug!r} is not a style slug ({NAME_RULE})")
    return slug


def read_toml(path: Path) -> dict:
    """A small TOML file parsed, or a one-line PresetError naming it."""
    if path.is_symlink() or not path.is_file():
        raise PresetError(f"{path}: missing or not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise PresetError(f"{path}: {size} bytes, larger than the {MAX_FILE_BYTES}-byte limit")
    try:
        return parse_small_toml(path.read_bytes(), MAX_FILE_BYTES)
    except ValueError as exc:
        raise PresetError(f"{path}: {exc}") from None


def write_toml(path: Path, data: dict) -> Path:
    """Write atomically (temporary file + rename): a failed save leaves the old file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(tomli_w.dumps(data).encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class TransitionSettings:
    """How slot changes and scene loads move: length in beats, quantisation and blend mode."""

    beats: float = 4.0
    quantise: str = "bar"
    mode: str = "auto"


@dataclass(frozen=True)
class Scene:
    """A scene; None in a field means "leave that part of the show as it is"."""

    name: str = ""
    style_a: str | None = None
    style_b: str | None = None
    slots: tuple[str, ...] | None = None
    transition: TransitionSettings | None = None
    params: dict[str, float] | None = field(default=None, hash=False)
    routes: tuple[Route, ...] | None = None
    keep: tuple[str, ...] | None = None  # parameters left as they are unless set; None: KEEP


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise PresetError(f"{where}: expected a finite number, got {value!r}")
    return float(value)


def _table(data: dict, key: str, where: str) -> dict | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise PresetError(f"{where}: [{key}] must be a table")
    return value


def _parse_styles(table: dict, where: str) -> tuple[str | None, str | None]:
    unknown = set(table) - {"a", "b"}
    if unknown or "a" not in table:
        raise PresetError(f"{where}: [styles] needs a = \"slug\" and optionally b (found {sorted(table)})")
    b = table.get("b")
    return check_slug(table["a"], where), None if b is None else check_slug(b, where)


def _parse_transition(table: dict, where: str) -> TransitionSettings:
    unknown = set(table) - {"beats", "quantise", "mode"}
    if unknown:
        raise PresetError(f"{where}: [transition] has unknown keys {sorted(unknown)}")
    defaults = TransitionSettings()
    beats = _number(table.get("beats", defaults.beats), f"{where} [transition] beats")
    quantise = table.get("quantise", defaults.quantise)
    mode = table.get("mode", defaults.mode)
    if not 0.0 <= beats <= MAX_BEATS:
        raise PresetError(f"{where}: [transition] beats {beats:g}: expected 0..{MAX_BEATS:g}")
    if quantise not in QUANTISE:
        raise PresetError(f"{where}: [transition] quantise {quantise!r}: expected one of {QUANTISE}")
    if mode not in MODES:
        raise PresetError(f"{where}: [transition] mode {mode!r}: expected one of {MODES}")
    return TransitionSettings(beats, quantise, mode)


def _parse_params(table: dict, where: str) -> dict[str, float]:
    params = {}
    for name, value in table.items():
        spec = SPECS.get(name)
        if spec is None:
            raise PresetError(f"{where}: [params] {name!r} is not a parameter "
                              f"(expected one of {', '.join(SPECS)})")
        value = _number(value, f"{where} [params] {name}")
        params[name] = spec.clamp(value)
        if params[name] != value:
            log.warning("%s: [params] %s = %g outside %g..%g, using %g", where, name, value,
                        spec.lo, spec.hi, params[name])
    return params


def _parse_routes(items: object, where: str) -> tuple[Route, ...]:
    if not isinstance(items, list):
        raise PresetError(f"{where}: routes must be an array of tables ([[routes]])")
    routes = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) - {"source", "param", "amount", "curve"}:
            raise PresetError(f"{where}: routes[{i}] expected source, param, amount and curve")
        try:
            routes.append(Route(item.get("source"), item.get("param"), item.get("amount"),
                                item.get("curve", "linear")))
        except ValueError as exc:
            raise PresetError(f"{where}: routes[{i}]: {exc}") from None
    return tuple(routes)


def scene_from_table(data: dict, where: str) -> Scene:
    """A validated Scene from parsed TOML; `where` names the file in errors."""
    unknown = set(data) - SCENE_KEYS
    if unknown:
        raise PresetError(f"{where}: unknown keys {sorted(unknown)} (expected {sorted(SCENE_KEYS)})")
    name = data.get("name", "")
    if not isinstance(name, str):
        raise PresetError(f"{where}: name must be a string")
    styles = _table(data, "styles", where)
    style_a, style_b = _parse_styles(styles, where) if styles is not None else (None, None)
    slots = data.get("slots")
    if slots is not None:
        if not isinstance(slots, list) or len(slots) > SLOT_COUNT:
            raise PresetError(f"{where}: slots must be a list of at most {SLOT_COUNT} style slugs")
        slots = tuple(check_slug(slug, where) for slug in slots)
    transition = _table(data, "transition", where)
    params = _table(data, "params", where)
    routes = data.get("routes")
    keep = data.get("keep")
    if keep is not None and (not isinstance(keep, list) or any(name not in SPECS for name in keep)):
        raise PresetError(f"{where}: keep must be a list of parameter names (from {', '.join(SPECS)})")
    return Scene(
        name=name, style_a=style_a, style_b=style_b, slots=slots,
        transition=_parse_transition(transition, where) if transition is not None else None,
        params=_parse_params(params, where) if params is not None else None,
        routes=_parse_routes(routes, where) if routes is not None else None,
        keep=tuple(keep) if keep is not None else None,
    )


def scene_to_table(scene: Scene) -> dict:
    """The TOML table of a scene (parts that are None are left out)."""
    data: dict = {}
    if scene.name:
        data["name"] = scene.name
    if scene.style_a is not None:
        data["styles"] = {"a": scene.style_a}
        if scene.style_b is not None:
            data["styles"]["b"] = scene.style_b
    if scene.slots is not None:
        data["slots"] = list(scene.slots)
    if scene.transition is not None:
        t = scene.transition
        data["transition"] = {"beats": t.beats, "quantise": t.quantise, "mode": t.mode}
    if scene.params is not None:
        data["params"] = {spec.name: scene.params[spec.name] for spec in PARAMS
                          if spec.name in scene.params}
    if scene.routes is not None:
        data["routes"] = [{"source": r.source, "param": r.param, "amount": r.amount, "curve": r.curve}
                          for r in scene.routes]
    if scene.keep is not None:
        data["keep"] = list(scene.keep)
    return data


class TomlFolder(Generic[T]):
    """A folder of NAME.toml files of one kind (scenes, MIDI maps), parsed into T; names are checked
    so that none escapes the folder, and files are capped before they are parsed.

    During a live show a folder can be watched: a thread of its own reads and parses every file,
    again whenever one changes, and `load` hands out what it parsed, so that a load asked for
    mid-show (OSC, MIDI) never reads or parses a file on the render thread.
    """

    what = "preset"  # the kind of file, for error messages

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self._parsed: dict[str, tuple[tuple, T | PresetError]] | None = None  # watched: name -> parse
        self._closed = threading.Event()

    def parse(self, data: dict, where: str) -> T:
        """The file's parsed TOML as a T, or a PresetError naming `where`."""
        raise NotImplementedError

    def table(self, item: T) -> dict:
        """The TOML table that saves `item`."""
        raise NotImplementedError

    def path(self, name: str) -> Path:
        return self.folder / f"{check_name(name, self.what)}.toml"

    def load(self, name: str) -> T:
        path = self.path(name)
        parsed = self._parsed
        if parsed is None:
            return self.parse(read_toml(path), str(path))
        if name not in parsed:
            raise PresetError(f"{path}: missing or not a regular file")
        item = parsed[name][1]
        if isinstance(item, PresetError):
            raise item
        return item

    def save(self, name: str, item: T) -> Path:
        path = write_toml(self.path(name), self.table(item))
        if self._parsed is not None:  # known without reading it back; the watcher re-reads it later
            self._parsed = {**self._parsed, name: ((), item)}
        return path

    def watch(self) -> None:
        """Parse every file now, then keep them parsed on a thread of their own until close()."""
        self._parsed = self._scan({})
        threading.Thread(target=self._watch, daemon=True, name=f"{self.what}-watch").start()

    def close(self) -> None:
        self._closed.set()

    def _watch(self) -> None:
        while not self._closed.wait(WATCH_SECONDS):
            self._parsed = self._scan(self._parsed or {})

    def _scan(self, parsed: dict[str, tuple[tuple, T | PresetError]]) -> dict:
        """Every file's parse, re-parsing only the files whose (mtime, size, inode) changed."""
        fresh = {}
        for name in self.names():
            path = self.path(name)
            try:
                stat = path.stat()
            except OSError:
                continue
            signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if name in parsed and parsed[name][0] == signature:
                fresh[name] = parsed[name]
                continue
            try:
                fresh[name] = (signature, self.parse(read_toml(path), str(path)))
            except PresetError as exc:
                fresh[name] = (signature, exc)
        return fresh

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.toml")
                      if NAME_PATTERN.match(p.stem) and p.is_file())

    def entries(self) -> list[tuple[str, T | PresetError]]:
        """Every file by name: what it holds, or the PresetError that stops it loading."""
        results: list[tuple[str, T | PresetError]] = []
        for name in self.names():
            try:
                results.append((name, self.load(name)))
            except PresetError as exc:
                results.append((name, exc))
        return results


class PresetLibrary(TomlFolder[Scene]):
    """The presets folder: scenes by name."""

    def parse(self, data: dict, where: str) -> Scene:
        return scene_from_table(data, where)

    def table(self, item: Scene) -> dict:
        return scene_to_table(item)
