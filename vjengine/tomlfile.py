"""Small TOML files (style.toml, scenes, MIDI maps) parsed within caps that keep parsing quick.

Python's TOML parser takes time quadratic in the depth of a dotted key (`a.a.a...`): a 64 KB file
of one such key parses for over ten seconds. These files have no reason to exceed a few KB or to
nest deeply, so the bytes and the dots (which bound any key's depth) are capped before parsing.
"""

from __future__ import annotations

import tomllib

MAX_BYTES = 16 << 10
MAX_DOTS = 512  # a starter style.toml holds about 50; 512 nested keys parse in about 50 ms


def parse_small_toml(raw: bytes, limit: int = MAX_BYTES) -> dict:
    """The parsed table; a ValueError with a short reason for a file too large, too deep or not TOML."""
    if len(raw) > limit:
        raise ValueError(f"{len(raw)} bytes, larger than the {limit}-byte limit")
    dots = raw.count(b".")
    if dots > MAX_DOTS:
        raise ValueError(f"{dots} dots, more than the {MAX_DOTS} such a file may hold (keys nested too deeply?)")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise ValueError(f"unreadable TOML ({str(exc).splitlines()[0] if str(exc) else 'nested too deeply'})") from None
