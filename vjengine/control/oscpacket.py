"""Untrusted OSC datagrams -> messages, within limits on size, bundle nesting, count and address length.

python-osc's own packet parser trusts bundle element sizes (a negative size loops forever, logging
a warning per turn) and logs a warning per unknown type tag. This module walks bundles itself, with
every length checked, and hands python-osc only single messages whose type tags it understands.
Address patterns are matched elsewhere (oscaddress), never by python-osc's regular expressions.
"""

from __future__ import annotations

import struct

from pythonosc.osc_message import OscMessage
from pythonosc.parsing import osc_types

MAX_DATAGRAM = 8192  # bytes; OSC over UDP from controllers is far smaller
MAX_DEPTH = 4  # bundles inside bundles
MAX_MESSAGES = 64  # messages in one datagram
MAX_TYPE_TAGS = 32  # arguments (and array brackets) of one message
MAX_ADDRESS = 256  # characters of an address pattern
TYPE_TAGS = frozenset("ihfdsbrmtTFN[]")  # what python-osc parses
BUNDLE = b"#bundle\x00"
BUNDLE_HEADER = len(BUNDLE) + 8  # the prefix and the timetag


class PacketError(Exception):
    """A datagram to drop, counted under `kind` ("malformed" or "limits")."""

    def __init__(self, kind: str, why: str):
        super().__init__(why)
        self.kind = kind


def parse(datagram: bytes) -> list[OscMessage]:
    """Every message in the datagram, bundles flattened in order (timetags are not waited for)."""
    if len(datagram) > MAX_DATAGRAM:
        raise PacketError("limits", f"datagram of {len(datagram)} bytes (at most {MAX_DATAGRAM})")
    messages: list[OscMessage] = []
    _parse(datagram, 0, messages)
    return messages


def _parse(data: bytes, depth: int, out: list[OscMessage]) -> None:
    if data.startswith(BUNDLE):
        _bundle(data, depth, out)
    elif data.startswith(b"/"):
        if len(out) >= MAX_MESSAGES:
            raise PacketError("limits", f"more than {MAX_MESSAGES} messages in one datagram")
        out.append(_message(data))
    else:
        raise PacketError("malformed", f"element starting {data[:8]!r} is neither a message nor a bundle")


def _bundle(data: bytes, depth: int, out: list[OscMessage]) -> None:
    if depth >= MAX_DEPTH:
        raise PacketError("limits", f"bundles nested deeper than {MAX_DEPTH}")
    if len(data) < BUNDLE_HEADER:
        raise PacketError("malformed", f"bundle of {len(data)} bytes has no timetag")
    index = BUNDLE_HEADER
    while index < len(data):
        if index + 4 > len(data):
            raise PacketError("malformed", f"bundle element size cut off at byte {index}")
        (size,) = struct.unpack_from(">i", data, index)
        index += 4
        if size <= 0 or size % 4 or index + size > len(data):
            raise PacketError("malformed", f"bundle element of {size} bytes at byte {index} "
                                           f"(expected a positive multiple of 4 within {len(data)} bytes)")
        _parse(data[index:index + size], depth + 1, out)
        index += size


def _message(data: bytes) -> OscMessage:
    try:
        address, index = osc_types.get_string(data, 0)
        tags = osc_types.get_string(data, index)[0] if index < len(data) else ","
    except (osc_types.ParseError, UnicodeDecodeError) as exc:
        raise PacketError("malformed", f"unreadable address or type tags ({exc})") from None
    if len(address) > MAX_ADDRESS:
        raise PacketError("limits", f"address pattern of {len(address)} characters (at most {MAX_ADDRESS})")
    if not tags.startswith(",") or len(tags) > MAX_TYPE_TAGS + 1 or not set(tags[1:]) <= TYPE_TAGS:
        raise PacketError("malformed", f"type tags {tags[:40]!r}: expected ',' then at most "
                                       f"{MAX_TYPE_TAGS} of {''.join(sorted(TYPE_TAGS))}")
    try:
        return OscMessage(data)
    except Exception as exc:  # untrusted bytes: any failure of python-osc's parser is malformed
        raise PacketError("malformed", f"unreadable arguments ({exc})") from None
