"""Load, save, list and validate style folders (style.toml + weights.safetensors + preview.png).

Nothing here executes code from a file: TOML is parsed, tensors come from safetensors.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors_bytes
from safetensors.torch import save as save_safetensors_bytes

from vjengine.errors import InputError
from vjengine.names import NAME_RULE, is_name
from vjengine.tomlfile import MAX_BYTES as MAX_TOML_BYTES
from vjengine.tomlfile import parse_small_toml
from vjengine.model import conditioning
from vjengine.model.cppn import CPPN, CPPNConfig

SCHEMA_VERSION = 1
STYLE_FILE = "style.toml"
WEIGHTS_FILE = "weights.safetensors"
PREVIEW_FILE = "preview.png"
MAX_WEIGHTS_BYTES = 256 << 20


class StyleError(InputError):
    """A style that cannot be used; str() is one line naming the file and what was expected."""


@dataclass
class Style:
    """A loaded style: the CPPN config, its weights and the metadata from style.toml."""

    slug: str
    config: CPPNConfig
    weights: dict[str, torch.Tensor]
    meta: dict = field(default_factory=dict)
    content_hash: str = ""
    folder: Path | None = None

    @property
    def name(self) -> str:
        return str(self.meta.get("name", self.slug))

    @property
    def prompt(self) -> str:
        return str(self.meta.get("prompt", ""))

    def model(self) -> CPPN:
        """A fresh fp32 CPPN holding these weights."""
        net = CPPN(self.config)
        net.load_state_dict(self.weights)
        return net.eval()


def check_slug(slug: str) -> str:
    """Return slug if it is a safe folder name (lower-case letters, digits, - and _), else raise."""
    if not is_name(slug):
        raise StyleError(f"style name {slug!r}: expected {NAME_RULE} (no paths)")
    return slug


def slugify(text: str) -> str:
    """A style slug made from free text ("Neon Grid!" -> "neon-grid")."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64].strip("-")
    return slug or "style"


def _show(value: object, limit: int = 60) -> str:
    """repr() of a value from a file, shortened so an error stays one readable line."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _read_regular_file(path: Path, limit: int) -> bytes:
    if not path.exists():
        raise StyleError(f"{path}: missing (a style folder needs {STYLE_FILE} and {WEIGHTS_FILE})")
    if path.is_symlink() or not path.is_file():
        raise StyleError(f"{path}: expected a regular file, not a link or folder")
    size = path.stat().st_size
    if size > limit:
        raise StyleError(f"{path}: {size} bytes, larger than the {limit}-byte limit")
    return path.read_bytes()


def _parse_meta(path: Path) -> dict:
    raw = _read_regular_file(path, MAX_TOML_BYTES)
    try:
        meta = parse_small_toml(raw, MAX_TOML_BYTES)
    except ValueError as exc:
        raise StyleError(f"{path}: {exc}") from None
    schema = meta.get("schema")
    if schema != SCHEMA_VERSION or type(schema) is not int:
        raise StyleError(f"{path}: unknown schema version {_show(schema)} (this engine reads {SCHEMA_VERSION})")
    for key in ("name", "prompt", "method"):
        if key in meta and not isinstance(meta[key], str):
            raise StyleError(f"{path}: {key} must be a string, got {type(meta[key]).__name__}")
    score = meta.get("score", 0.0)
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        raise StyleError(f"{path}: score must be a finite number, got {_show(score)}")
    layout = meta.get("conditioning", {})
    if not isinstance(layout, dict) or layout.get("layout") != conditioning.LAYOUT_NAME:
        found = layout.get("layout") if isinstance(layout, dict) else layout
        raise StyleError(
            f"{path}: conditioning layout {_show(found)} unsupported (expected {conditioning.LAYOUT_NAME!r})"
        )
    return meta


def _parse_config(path: Path, meta: dict) -> CPPNConfig:
    table = meta.get("cppn")
    if not isinstance(table, dict):
        raise StyleError(f"{path}: missing [cppn] table (width, depth, frequency, cond_size)")
    try:
        config = CPPNConfig.from_dict(table)
    except (TypeError, ValueError) as exc:
        raise StyleError(f"{path}: bad [cppn] table ({str(exc)[:200]})") from None
    if config.cond_size != conditioning.SIZE:
        raise StyleError(
            f"{path}: [cppn] cond_size {config.cond_size} does not match the layout's {conditioning.SIZE}"
        )
    return config


def _check_weights(path: Path, tensors: dict[str, torch.Tensor], config: CPPNConfig) -> None:
    expected = config.tensor_shapes()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise StyleError(f"{path}: tensors do not match [cppn] (missing {missing}, unexpected {extra})")
    for key, shape in expected.items():
        tensor = tensors[key]
        if tuple(tensor.shape) != shape:
            raise StyleError(
                f"{path}: tensor {key} has shape {tuple(tensor.shape)}, the [cppn] config needs {shape}"
            )
        if not tensor.is_floating_point():
            raise StyleError(f"{path}: tensor {key} is {tensor.dtype}, expected floating point")
        if not torch.isfinite(tensor.to(torch.float32)).all():
            raise StyleError(f"{path}: tensor {key} holds NaN or infinite values")


def load_style(folder: str | os.PathLike) -> Style:
    """Load and validate one style folder; raises StyleError with a one-line reason."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StyleError(f"{folder}: not a style folder (expected {STYLE_FILE} + {WEIGHTS_FILE})")
    meta_path, weights_path = folder / STYLE_FILE, folder / WEIGHTS_FILE
    meta_bytes = _read_regular_file(meta_path, MAX_TOML_BYTES)
    meta = _parse_meta(meta_path)
    config = _parse_config(meta_path, meta)
    raw = _read_regular_file(weights_path, MAX_WEIGHTS_BYTES)
    try:
        tensors = load_safetensors_bytes(raw)
    except (SafetensorError, ValueError, RuntimeError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StyleError(f"{weights_path}: not a readable safetensors file ({reason})") from None
    _check_weights(weights_path, tensors, config)
    weights = {k: v.to(torch.float32).contiguous() for k, v in tensors.items()}
    digest = hashlib.sha256(meta_bytes + b"\0" + raw).hexdigest()
    return Style(slug=folder.name, config=config, weights=weights, meta=meta, content_hash=digest,
                 folder=folder)


def style_meta(config: CPPNConfig, name: str, prompt: str, method: str, score: float,
               **extra) -> dict:
    """The style.toml table for a new style; extra keys (e.g. train={...}) are stored as given."""
    if not math.isfinite(score):
        raise ValueError(f"style score must be finite, got {score}")
    return {
        "schema": SCHEMA_VERSION,
        "name": name,
        "prompt": prompt,
        "method": method,
        "score": float(score),
        **extra,
        "cppn": config.to_dict(),
        "conditioning": conditioning.layout_table(),
    }


def save_style(root: str | os.PathLike, slug: str, model: CPPN, meta: dict,
               preview: np.ndarray | None = None) -> Path:
    """Write styles/<slug>/ (TOML, safetensors, optional preview HxWx3 uint8); returns the folder.

    Files are written to temporary names and renamed, so a failed save leaves no half style.
    """
    from PIL import Image  # local: only saving needs it

    check_slug(slug)
    folder = Path(root) / slug
    folder.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "cppn": model.config.to_dict(), "conditioning": conditioning.layout_table()}
    state = {k: v.detach().to(torch.float32).cpu().contiguous() for k, v in model.state_dict().items()}
    blobs = {
        STYLE_FILE: tomli_w.dumps(meta).encode("utf-8"),
        WEIGHTS_FILE: save_safetensors_bytes(state, metadata={"format": "vjengine-style"}),
    }
    if preview is not None:
        import io

        buffer = io.BytesIO()
        Image.fromarray(preview).save(buffer, format="PNG")
        blobs[PREVIEW_FILE] = buffer.getvalue()
    for filename, blob in blobs.items():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{filename}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.chmod(tmp, 0o644)  # mkstemp makes files private; a style is meant to be shared
            os.replace(tmp, folder / filename)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return folder


def list_styles(root: str | os.PathLike) -> list[Style | StyleError]:
    """Every folder under root, sorted by slug: a Style, or the StyleError that stops it loading
    (a folder whose name is not a style name is no style: `find_style` could never load it)."""
    root = Path(root)
    if not root.is_dir():
        return []
    results: list[Style | StyleError] = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not is_name(folder.name):
            results.append(StyleError(f"{folder}: folder name {folder.name!r} is not a style name "
                                      f"(expected {NAME_RULE})"))
            continue
        try:
            results.append(load_style(folder))
        except StyleError as exc:
            results.append(exc)
    return results


def find_style(root: str | os.PathLike, slug: str) -> Style:
    """Load styles/<slug>; the slug is checked so that it cannot name a path outside root."""
    return load_style(Path(root) / check_slug(slug))
