"""Field-by-field checks of a show journal's show.json and timeline records, before anything uses them.

Every function raises ValueError with a short reason naming the field; the journal reader turns it
into one JournalError line naming the file. Sizes, rates and times are capped so that a crafted
journal cannot ask a replay for absurd memory or work. Unknown keys are refused: a field added to
show.json or to the timeline needs its check here (a live show's own journal must read back).
"""

from __future__ import annotations

import math
import re
from dataclasses import fields

from vjengine.audio.analysis import MAX_BEAT_LOOKAHEAD, AnalysisConfig
from vjengine.config import LIMITS, MAX_SIDE, UPSCALERS
from vjengine.control.params import SPECS
from vjengine.control.tempo import TempoReading
from vjengine.names import NAME_RULE, is_name
from vjengine.styles.descriptors import Descriptors

MIN_SIDE = 16
MAX_FPS = LIMITS["fps"][1]
MAX_LATENCY = LIMITS["latency"][1]
MAX_SHOW_SECONDS = 24 * 3600.0  # the longest span of frame times a journal may cover
MAX_SLOTS = 9
SHOW_KEYS = {"format", "version", "engine", "size", "fps", "backend", "upscale", "latency", "analysis", "params",
             "default_slots", "preset", "beats_per_bar", "midi_map", "styles", "frames", "autopilot"}
RECORD_KEYS = {"f", "t", "dt", "hops", "size", "events", "loads", "session"}
HASH = re.compile(r"[0-9a-f]{64}\Z")


def _int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{what} {_short(value)}: expected a whole number {lo}..{hi}")
    return value


def _number(value: object, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            or not lo <= value <= hi):
        raise ValueError(f"{what} {_short(value)}: expected a finite number {lo:g}..{hi:g}")
    return float(value)


def _str(value: object, what: str, limit: int = 256) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise ValueError(f"{what} {_short(value)}: expected a string of at most {limit} characters")
    return value


def _name(value: object, what: str) -> str:
    if not is_name(value):
        raise ValueError(f"{what} {_short(value)}: expected a name of {NAME_RULE}")
    return value


def _keys(table: object, what: str, allowed: set[str], required: set[str]) -> dict:
    if not isinstance(table, dict):
        raise ValueError(f"{what}: expected a JSON object")
    unknown, missing = set(table) - allowed, required - set(table)
    if unknown or missing:
        found = [f"unknown keys {sorted(unknown)[:5]}"] * bool(unknown) + [f"missing {sorted(missing)}"] * bool(missing)
        raise ValueError(f"{what}: {', '.join(found)}")
    return table


def _rows(data: dict, key: str, what: str, shape: str) -> list[list]:
    """data[key] (default empty): a list whose items are lists of as many fields as `shape` names."""
    rows = data.get(key, [])
    if not isinstance(rows, list):
        raise ValueError(f"{key}: expected a list")
    width = shape.count(",") + 1
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise ValueError(f"{what} {_short(row)}: expected {shape}")
    return rows


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def size(value: object, what: str, lo: int = MIN_SIDE, hi: tuple[int, int] = (MAX_SIDE, MAX_SIDE)) -> tuple[int, int]:
    """A [width, height] pair, each side lo..hi."""
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{what} {_short(value)}: expected [width, height]")
    return _int(value[0], f"{what} width", lo, hi[0]), _int(value[1], f"{what} height", lo, hi[1])


def analysis(table: object) -> AnalysisConfig:
    """The analysis config, every field checked (hop and window sizes bound the audio's memory)."""
    known = {f.name for f in fields(AnalysisConfig)}
    table = _keys(table, "analysis", known, {"samplerate", "hop_size"})
    config = AnalysisConfig(
        samplerate=_int(table["samplerate"], "analysis samplerate", 8000, 96000),
        hop_size=_int(table["hop_size"], "analysis hop_size", 16, 8192),
        window_size=_int(table.get("window_size", 1024), "analysis window_size", 16, 65536),
        onset_method=_str(table.get("onset_method", "specflux"), "analysis onset_method", 32),
        tracker=_str(table.get("tracker", "predictive"), "analysis tracker", 32),
        beat_lookahead=_number(table.get("beat_lookahead", 0.05), "analysis beat_lookahead", 0.0,
                               MAX_BEAT_LOOKAHEAD),
    )
    if config.window_size < config.hop_size:
        raise ValueError(f"analysis window_size {config.window_size} is smaller than hop_size {config.hop_size}")
    return config


def show(table: object) -> dict:
    """show.json checked: known keys only, every value of the right type and in range."""
    table = _keys(table, "fields", SHOW_KEYS, {"format", "version", "size", "fps", "backend", "analysis"})
    size(table["size"], "size")
    _number(table["fps"], "fps", 1.0, MAX_FPS)
    _str(table["backend"], "backend", 32)
    if table.get("upscale", "cubic") not in UPSCALERS:  # journals before --upscale: Catmull-Rom
        raise ValueError(f"upscale {_short(table['upscale'])}: expected one of {', '.join(UPSCALERS)}")
    _number(table.get("latency", 0.0), "latency", 0.0, MAX_LATENCY)
    analysis(table["analysis"])
    params = table.get("params", {})
    if not isinstance(params, dict) or len(params) > len(SPECS):
        raise ValueError("params: expected an object of parameter values")
    for name, value in params.items():
        if name not in SPECS:
            raise ValueError(f"params: {_short(name)} is not a parameter")
        _number(value, f"params {name}")
    slots = table.get("default_slots", [])
    if not isinstance(slots, list) or len(slots) > MAX_SLOTS:
        raise ValueError(f"default_slots: expected a list of at most {MAX_SLOTS} style names")
    for slug in slots:
        _name(slug, "default_slots")
    for key in ("preset", "midi_map"):
        if table.get(key) is not None:
            _name(table[key], key)
    _int(table.get("beats_per_bar", 4), "beats_per_bar", 1, 16)
    _int(table.get("frames", 0), "frames", 0, 2**40)
    _str(table.get("engine", ""), "engine", 64)
    if "styles" in table:
        styles_table(table["styles"])
    if table.get("autopilot") is not None:
        autopilot(table["autopilot"])
    return table


def autopilot(table: object) -> dict:
    """The autopilot's settings (control.autopilot.Autopilot.settings)."""
    table = _keys(table, "autopilot", {"seed", "variety", "suspend_bars", "descriptors"},
                  {"seed", "variety", "suspend_bars", "descriptors"})
    _int(table["seed"], "autopilot seed", -2**63, 2**63)
    _number(table["variety"], "autopilot variety", 0.0, 1.0)
    _int(table["suspend_bars"], "autopilot suspend_bars", 0, 1024)
    styles = table["descriptors"]
    if not isinstance(styles, dict) or not 0 < len(styles) <= 4096:
        raise ValueError("autopilot descriptors: expected an object of style name -> descriptors")
    known = {f.name for f in fields(Descriptors)}
    for slug, values in styles.items():
        _name(slug, "autopilot descriptors")
        for name, value in _keys(values, f"autopilot descriptors {slug}", known, known).items():
            _number(value, f"autopilot descriptors {slug} {name}", 0.0, 1.0)
    return table


def styles_table(table: object) -> dict[str, str]:
    """style name -> content hash."""
    if not isinstance(table, dict) or len(table) > 4096:
        raise ValueError("styles: expected an object of style name -> content hash")
    for slug, digest in table.items():
        _name(slug, "styles")
        if not isinstance(digest, str) or not HASH.match(digest):
            raise ValueError(f"styles {slug}: {_short(digest)} is not a SHA-256 hex digest")
    return table


def _session(table: object) -> TempoReading:
    known = {f.name for f in fields(TempoReading)}
    table = _keys(table, "session", known, {"bpm", "beat", "name"})
    beat = table["beat"]
    steady = table.get("steady", False)
    if not isinstance(steady, bool):
        raise ValueError(f"session steady {_short(steady)}: expected true or false")
    return TempoReading(
        bpm=_number(table["bpm"], "session bpm", 0.0, 1000.0),
        beat=None if beat is None else _number(beat, "session beat"),
        name=_str(table["name"], "session name", 64),
        confidence=_number(table.get("confidence", 1.0), "session confidence", 0.0, 1.0),
        steady=steady, quantum=_int(table.get("quantum", 0), "session quantum", 0, 64),
    )


def record(data: object, live_size: tuple[int, int]) -> dict:
    """One timeline record checked; its internal size may not exceed the live output's."""
    data = _keys(data, "record", RECORD_KEYS, {"f", "t", "dt", "hops", "size"})
    _int(data["f"], "f", 0, 2**40)
    _number(data["t"], "t", -MAX_SHOW_SECONDS, MAX_SHOW_SECONDS)
    _number(data["dt"], "dt", 0.0, MAX_SHOW_SECONDS)
    _int(data["hops"], "hops", 0, 2**40)
    size(data["size"], "internal size", MIN_SIDE, tuple(max(MIN_SIDE, side) for side in live_size))
    for event in _rows(data, "events", "event", "[target, value, source, t]"):
        _str(event[0], "event target", 64)
        _str(event[2], "event source", 256)
        _number(event[3], "event t")
    for load in _rows(data, "loads", "load", "[style, hash or null]"):
        _name(load[0], "load")
        if load[1] is not None and not (isinstance(load[1], str) and HASH.match(load[1])):
            raise ValueError(f"load {load[0]}: {_short(load[1])} is not a SHA-256 hex digest")
    if data.get("session") is not None:
        data["session"] = _session(data["session"])
    return data
