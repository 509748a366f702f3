"""Hypothesis strategies that mutate a TOML file's text: hostile values, dropped and garbage lines,
deep or many dotted keys (quadratic to parse) and sizes around the cap."""

from __future__ import annotations

import json

from hypothesis import strategies as st

from vjengine.tomlfile import MAX_BYTES

TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=40).map(json.dumps),
    st.sampled_from(["true", "false", "[]", "[1, 2]", "{}", "{ a = 1 }", "1979-05-27", '"""x"""',
                     "[[1], [2, [3]]]", "0x7fffffff", "-0.0", "nan", "-inf", "1e309", '"../../etc"',
                     '"/etc/passwd"', '"slot 9"', '"slot ²"', '"preset ../x"', '"tap"', '"zoom"']),
)


@st.composite
def toml_cases(draw, base: bytes, keys: tuple[str, ...] = ("name", "extra")) -> bytes:
    """The base file with one mutation: a value replaced, a line dropped or added, nesting, bytes."""
    text = base.decode()
    kind = draw(st.sampled_from(["keep", "value", "drop", "garbage", "random", "nested", "append", "dotted",
                                 "sized"]))
    lines = text.splitlines()
    if kind == "value":
        candidates = [i for i, line in enumerate(lines) if " = " in line]
        i = draw(st.sampled_from(candidates))
        lines[i] = lines[i].split(" = ")[0] + " = " + draw(TOML_VALUES)
    elif kind == "drop":
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif kind == "garbage":
        i = draw(st.integers(0, len(lines)))
        lines.insert(i, draw(st.text(max_size=60)))
    elif kind == "random":
        return draw(st.binary(max_size=300))
    elif kind == "nested":
        depth = draw(st.integers(1, 5000))
        return ("x = " + "[" * depth + "]" * depth + "\n").encode() + base
    elif kind == "dotted":  # one deep dotted key, or many dotted keys, or a deep table header
        depth = draw(st.integers(1, 6000))
        shape = draw(st.sampled_from(["deep", "many", "header", "quoted"]))
        key = draw(st.sampled_from(keys))
        lines.append({"deep": key + ".a" * depth + " = 1",
                      "many": "\n".join(f"{key}.k{i} = {i}" for i in range(depth)),
                      "header": "[" + ".".join(["t"] * depth) + "]",
                      "quoted": '"a"' + '."a"' * depth + " = 1"}[shape])
    elif kind == "sized":  # the file padded to just under, at or just over the byte cap
        pad = MAX_BYTES + draw(st.integers(-40, 40)) - len(text.encode()) - 3
        lines.append("#" + "x" * max(0, pad))
    elif kind == "append":
        lines.append(f"{draw(st.sampled_from(keys))} = {draw(TOML_VALUES)}")
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")
