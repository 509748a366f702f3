"""OSC address patterns against the address table: OSC 1.0 semantics, in time linear in the pattern."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vjengine.control.oscaddress import MAX_WORK, AddressTable, PatternLimit

pytestmark = pytest.mark.unit

ADDRESSES = ["/vj/param/zoom", "/vj/param/zoom/abs", "/vj/param/hue", "/vj/param/hue/abs", "/vj/param/beat_zoom",
             "/vj/get/zoom", "/vj/get/hue", "/vj/style/a", "/vj/style/b", "/vj/state", "/vj/tap", "/vj/tempo",
             "/vj/preset", "/vj/preset/save"]
TABLE = AddressTable(ADDRESSES)


def matches(pattern: str) -> list[str]:
    return TABLE.match(pattern)[0]


@pytest.mark.parametrize("pattern, expected", [
    ("/vj/tap", ["/vj/tap"]),
    ("/vj/t?p", ["/vj/tap"]),
    ("/vj/t*", ["/vj/tap", "/vj/tempo"]),
    ("/vj/*", ["/vj/state", "/vj/tap", "/vj/tempo", "/vj/preset"]),
    ("/vj/style/[ab]", ["/vj/style/a", "/vj/style/b"]),
    ("/vj/style/[!a]", ["/vj/style/b"]),
    ("/vj/style/[a-z]", ["/vj/style/a", "/vj/style/b"]),
    ("/vj/style/[-a]", ["/vj/style/a"]),  # a '-' first is itself
    ("/vj/param/{zoom,hue}", ["/vj/param/zoom", "/vj/param/hue"]),
    ("/vj/param/{zoom,hue}/abs", ["/vj/param/zoom/abs", "/vj/param/hue/abs"]),
    ("/vj/param/*zoom", ["/vj/param/zoom", "/vj/param/beat_zoom"]),
    ("/vj/param/*_*", ["/vj/param/beat_zoom"]),
    ("/vj/get/*", ["/vj/get/zoom", "/vj/get/hue"]),
    ("/vj/*/zoom", ["/vj/param/zoom", "/vj/get/zoom"]),
    ("/vj//abs", ["/vj/param/zoom/abs", "/vj/param/hue/abs"]),  # OSC 1.1: any number of parts
    ("//tap", ["/vj/tap"]),
    ("/vj//param/hue", ["/vj/param/hue"]),  # '//' also spans no part
    ("/vj/{,}tap", ["/vj/tap"]),
    ("/vj/ta{p,}", ["/vj/tap"]),
    ("/vj/*/", []),  # a final '/' names no address
    ("/vj/[", []),  # an unclosed set or choice names nothing
    ("/vj/{tap", []),
    ("/vj/tap]", []),
    ("/vj/ta", []),
    ("vj/tap", []),
    ("", []),
])
def test_patterns_match_the_addresses_osc_1_0_names(pattern, expected):
    assert matches(pattern) == expected


def reference(pattern: str, address: str) -> bool:
    """OSC 1.0 matching by regular expressions, part by part (fine for short patterns, no '//')."""
    pattern_parts, address_parts = pattern.split("/"), address.split("/")
    if len(pattern_parts) != len(address_parts):
        return False
    for part, name in zip(pattern_parts, address_parts):
        regex, index = "", 0
        while index < len(part):
            char = part[index]
            if char == "*":
                regex += ".*"
            elif char == "?":
                regex += "."
            elif char in "[{":
                end = part.find("]" if char == "[" else "}", index)
                if end < 0:
                    return False
                body = part[index + 1:end]
                if char == "{":
                    regex += "(?:" + "|".join(map(re.escape, body.split(","))) + ")"
                else:  # the sets drawn below are regular expression sets once '!' is '^'
                    regex += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                index = end
            elif char in "]}":
                return False
            else:
                regex += re.escape(char)
            index += 1
        if not re.fullmatch(regex, name, re.DOTALL):
            return False
    return True


@st.composite
def part_patterns(draw, name: str) -> str:
    """A pattern for one part, made from a part of the table: often matching it, sometimes not."""
    index = draw(st.integers(0, len(name) - 1))
    char = name[index]
    other = draw(st.sampled_from("aeoz_-"))
    wildcard = draw(st.sampled_from(["?", "*", "**", f"[{char}{other}]", f"[!{other}]", f"[!{char}]",
                                     f"[{min(char, other)}-{max(char, other)}]", f"{{{char},{other}}}",
                                     f"{{,{char}}}", char, other, ""]))
    end = draw(st.integers(index + 1, len(name)))
    return name[:index] + wildcard + name[end:] or "?"  # an empty part would be '//'


@st.composite
def patterns(draw) -> str:
    parts = draw(st.sampled_from(ADDRESSES))[1:].split("/")
    parts = [draw(part_patterns(part)) if draw(st.booleans()) else part for part in parts]
    return "/" + "/".join(parts)


@settings(max_examples=500, deadline=None)
@given(patterns())
def test_matching_agrees_with_regular_expressions_on_short_patterns(pattern):
    assert matches(pattern) == [a for a in ADDRESSES if reference(pattern, a)], pattern


def test_the_pathological_brace_pattern_is_matched_in_microseconds():
    pattern = "/" + "{,}" * 24 + "X"  # 2^24 ways to match for a backtracking regular expression
    took = min(_timed(lambda: TABLE.match(pattern)) for _ in range(5))
    assert matches(pattern) == [] and took < 0.001, took


@pytest.mark.parametrize("pattern", ["//*" + "{,a}" * 60, "/vj/param/" + "*[a-z]" * 41, "//" + "?*" * 120])
def test_work_beyond_the_budget_is_refused_in_bounded_time(pattern):
    start = time.perf_counter()
    with pytest.raises(PatternLimit):
        TABLE.match(pattern, budget=200)
    assert time.perf_counter() - start < 0.01
    addresses, work = TABLE.match(pattern, budget=10**9)  # the work grows with the pattern only
    assert work <= len(pattern) * (len(ADDRESSES) + 1) and work <= 10 * MAX_WORK


def test_a_table_holds_only_plain_addresses():
    for bad in ("vj/tap", "/vj/*", "/vj//tap", "/vj/{a,b}"):
        with pytest.raises(ValueError):
            AddressTable([bad])


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start
