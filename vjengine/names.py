"""The one rule for what names a style, preset or MIDI map, and names made safe to print.

A name is 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit: it is a file
or folder name that cannot be a path, hidden or confused with another by case. Every command and
every control (store, presets, OSC, MIDI, CLI) uses this rule. Importing this module is cheap.
"""

from __future__ import annotations

import re
import unicodedata

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\Z")  # \Z, not $: "$" also matches before a final newline
NAME_RULE = "1-64 characters of a-z, 0-9, '-' or '_'"
_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}  # controls (terminal escapes), format marks, line breaks


def is_name(value: object) -> bool:
    """Whether value is a valid style, preset or MIDI map name."""
    return isinstance(value, str) and NAME_PATTERN.match(value) is not None


def shown(text: object) -> str:
    """text for a terminal: control and format characters escaped (\\x1b, \\u202e), so a name
    from a file or folder can neither drive the terminal nor break the line."""
    return "".join(_escape(ch) if unicodedata.category(ch) in _HIDDEN else ch for ch in str(text))


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
