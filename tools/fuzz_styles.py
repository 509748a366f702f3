"""Fuzz target for style folders: mutated style.toml and weights.safetensors must load or be refused.

The contract: `load_style` either returns a style whose tensors match its [cppn] config and are
finite, or raises StyleError with one short line naming the folder. Anything else is a bug.
"""

from __future__ import annotations

import json
import os
import struct
import tempfile
import time
from pathlib import Path

import torch
from hypothesis import strategies as st

from tools.fuzz_toml import toml_cases
from vjengine.model.cppn import CPPN, CPPNConfig
from vjengine.styles.store import (MAX_WEIGHTS_BYTES, STYLE_FILE, WEIGHTS_FILE, StyleError, load_style,
                                   save_style, style_meta)

STYLE_KEYS = ("name", "score", "schema", "prompt", "extra")
MAX_LOAD_SECONDS = 2.0  # a small style loads in milliseconds; a hostile style.toml must not take longer


def valid_style_bytes() -> tuple[bytes, bytes]:
    """style.toml and weights.safetensors of a small valid style."""
    with tempfile.TemporaryDirectory() as tmp:
        config = CPPNConfig(width=8, depth=2)
        net = CPPN(config, seed=0)
        folder = save_style(tmp, "seed", net, style_meta(config, "Seed", "p", "seeded-init", 0.5))
        return (folder / STYLE_FILE).read_bytes(), (folder / WEIGHTS_FILE).read_bytes()


def check_style_folder(folder: Path) -> str:
    """Load one folder and assert the contract (within MAX_LOAD_SECONDS); returns "loaded" or "refused"."""
    started = time.perf_counter()
    try:
        style = load_style(folder)
    except StyleError as exc:
        assert time.perf_counter() - started < MAX_LOAD_SECONDS, f"refusing took {time.perf_counter() - started:.1f} s"
        message = str(exc)
        assert "\n" not in message and len(message) < 800, message[:2000]
        assert str(folder) in message, message
        return "refused"
    shapes = {key: tuple(tensor.shape) for key, tensor in style.weights.items()}
    assert shapes == style.config.tensor_shapes(), shapes
    assert all(torch.isfinite(t).all() for t in style.weights.values())
    return "loaded"


def write_case(folder: Path, toml: bytes | None, weights: bytes | None, link: str | None = None,
               huge: bool = False) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in ((STYLE_FILE, toml), (WEIGHTS_FILE, weights)):
        path = folder / name
        if path.is_symlink() or path.exists():
            path.unlink()
        if blob is not None:
            path.write_bytes(blob)
    if link is not None:
        (folder / WEIGHTS_FILE).unlink(missing_ok=True)
        os.symlink(link, folder / WEIGHTS_FILE)
    if huge:
        with open(folder / WEIGHTS_FILE, "ab") as fh:  # sparse: costs no disk
            fh.truncate(MAX_WEIGHTS_BYTES + 1)


def _header(blob: bytes) -> tuple[dict, bytes]:
    (size,) = struct.unpack("<Q", blob[:8])
    return json.loads(blob[8:8 + size]), blob[8 + size:]


@st.composite
def weights_cases(draw, base: bytes) -> bytes:
    kind = draw(st.sampled_from(["keep", "truncate", "flip", "header", "random", "length"]))
    if kind == "truncate":
        return base[:draw(st.integers(0, len(base) - 1))]
    if kind == "flip":
        blob = bytearray(base)
        for _ in range(draw(st.integers(1, 8))):
            blob[draw(st.integers(0, len(blob) - 1))] ^= draw(st.integers(1, 255))
        return bytes(blob)
    if kind == "random":
        return draw(st.binary(max_size=2000))
    if kind == "length":
        return struct.pack("<Q", draw(st.integers(0, 2**64 - 1))) + base[8:]
    if kind == "header":
        header, data = _header(base)
        key = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
        field = draw(st.sampled_from(["dtype", "shape", "data_offsets", "drop", "rename"]))
        if field == "dtype":
            header[key]["dtype"] = draw(st.sampled_from(["F16", "BF16", "F64", "I64", "BOOL", "U8", "F8_E4M3", "X"]))
        elif field == "shape":
            header[key]["shape"] = draw(st.lists(st.integers(-2, 2**33), max_size=4))
        elif field == "data_offsets":
            header[key]["data_offsets"] = draw(st.lists(st.integers(-5, 2**40), min_size=0, max_size=3))
        elif field == "drop":
            del header[key]
        else:
            header[key + draw(st.text(max_size=3))] = header.pop(key)
        encoded = json.dumps(header).encode()
        return struct.pack("<Q", len(encoded)) + encoded + data
    return base


@st.composite
def style_cases(draw, toml: bytes, weights: bytes) -> dict:
    """A whole style folder case: mutated files, sometimes a link or an oversized file."""
    case = {"toml": draw(toml_cases(toml, STYLE_KEYS)), "weights": draw(weights_cases(weights)), "link": None,
            "huge": False}
    extra = draw(st.sampled_from(["none"] * 8 + ["missing-toml", "missing-weights", "link", "huge"]))
    if extra == "missing-toml":
        case["toml"] = None
    elif extra == "missing-weights":
        case["weights"] = None
    elif extra == "link":
        case["link"] = draw(st.sampled_from(["/etc/passwd", "../../outside.safetensors", "/dev/zero",
                                             "weights.safetensors"]))
    elif extra == "huge":
        case["huge"] = True
    return case
