"""Load an open_clip model and tokenizer by name and pretrained tag, failing fast when weights are missing."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from vjengine.errors import InputError

log = logging.getLogger(__name__)

RANDOM_WEIGHTS = "none"  # --pretrained none: random weights (benchmarks, tests)
NETWORK_PROBE_SECONDS = 1.5
_TRUE = {"1", "on", "yes", "true"}


class ClipWeightsMissing(InputError):
    """CLIP weights are neither cached nor downloadable here; str() says how to get them."""


@dataclass
class LoadedClip:
    """An open_clip model in eval mode with frozen weights, its tokenizer and input normalisation."""

    name: str
    pretrained: str
    model: torch.nn.Module
    tokenizer: object
    image_size: int
    mean: torch.Tensor  # [3, 1, 1]
    std: torch.Tensor

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        """[N, 3, S, S] in [0, 1] -> CLIP's input scale (differentiable)."""
        return (images - self.mean) / self.std

    def encode_images(self, images: torch.Tensor) -> torch.Tensor:
        """Unit-length embeddings of [N, 3, S, S] pictures in [0, 1] at CLIP's input size."""
        return torch.nn.functional.normalize(self.model.encode_image(self.normalise(images)), dim=-1)

    @torch.no_grad()
    def encode_texts(self, texts: list[str]) -> torch.Tensor:
        """Unit-length embeddings of texts: [len(texts), D]."""
        tokens = self.tokenizer(texts).to(self.device)
        return torch.nn.functional.normalize(self.model.encode_text(tokens), dim=-1)


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) asks for no network access."""
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().lower() in _TRUE


def _cached_hub_file(hf_hub: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    repo_id, filename = os.path.split(hf_hub)
    for name in ([filename] if filename else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]):
        found = try_to_load_from_cache(repo_id, name)
        if isinstance(found, str):
            return found
    return None


def _cached_url_file(url: str) -> str | None:
    path = Path("~/.cache/clip").expanduser() / os.path.basename(urlparse(url).path)
    return str(path) if path.is_file() else None


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 443), NETWORK_PROBE_SECONDS):
            return True
    except OSError:
        return False


def _how_to_get(model_name: str, tag: str) -> str:
    return (f"fetch them once on a networked machine with `python -c \"import open_clip; "
            f"open_clip.create_model('{model_name}', pretrained='{tag}')\"` and copy its cache "
            f"(~/.cache/huggingface) here, or pass --pretrained PATH to a local checkpoint")


def ensure_weights_available(model_name: str, tag: str) -> None:
    """Raise ClipWeightsMissing at once if the tag's weights are not cached and cannot be fetched."""
    import open_clip
    from huggingface_hub import constants

    cfg = open_clip.get_pretrained_cfg(model_name, tag)
    hf_hub, url = cfg.get("hf_hub", ""), cfg.get("url", "")
    if (hf_hub and _cached_hub_file(hf_hub)) or (url and not hf_hub and _cached_url_file(url)):
        return
    source = f"{constants.ENDPOINT}/{hf_hub.split('/')[0]}" if hf_hub else url
    if hub_offline():
        raise ClipWeightsMissing(
            f"CLIP weights {model_name}/{tag} are not in the local cache and HF_HUB_OFFLINE is set: "
            + _how_to_get(model_name, tag))
    if not _reachable(source):
        raise ClipWeightsMissing(
            f"CLIP weights {model_name}/{tag} are not cached and {urlparse(source).hostname} is "
            f"unreachable: " + _how_to_get(model_name, tag))


def register_model_config(path: str | Path) -> str:
    """Add an architecture from an open_clip model-config JSON file; returns its name (the stem)."""
    import open_clip

    path = Path(path)
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--clip-config {path}: unreadable JSON ({exc})") from None
    if not isinstance(table, dict) or not all(k in table for k in ("embed_dim", "vision_cfg", "text_cfg")):
        raise InputError(f"--clip-config {path}: expected an open_clip model config "
                         f"(embed_dim, vision_cfg, text_cfg)")
    if path.stem not in open_clip.list_models():
        open_clip.add_model_config(path)
    return path.stem


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """open_clip reports each loading stage on the root logger at INFO: keep that to warnings."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(level)


def load_clip(model_name: str = "RN50", pretrained: str = "openai",
              device: torch.device | str = "cpu") -> LoadedClip:
    """An open_clip model by architecture name plus a pretrained tag, a checkpoint path or "none".

    Tags use open_clip's own download cache; "none" gives reproducible random weights.
    """
    import open_clip

    if model_name not in open_clip.list_models():
        raise InputError(f"--clip-model {model_name!r}: not an open_clip architecture "
                         f"(e.g. RN50, ViT-B-32; see open_clip.list_models())")
    options: dict = {}
    if pretrained.lower() == RANDOM_WEIGHTS:
        weights = None
    elif open_clip.get_pretrained_cfg(model_name, pretrained):
        ensure_weights_available(model_name, pretrained)
        weights = pretrained
        options["force_quick_gelu"] = bool(
            open_clip.get_pretrained_cfg(model_name, pretrained).get("quick_gelu", False))
    elif os.sep in pretrained or pretrained.endswith((".pt", ".pth", ".bin", ".safetensors")):
        if not Path(pretrained).is_file():
            raise InputError(f"--pretrained {pretrained}: checkpoint file not found")
        weights = pretrained
    else:
        tags = open_clip.list_pretrained_tags_by_model(model_name)
        raise InputError(f"--pretrained {pretrained!r}: not a tag of {model_name} "
                         f"(tags: {', '.join(tags) or 'none'}), a checkpoint path or 'none'")
    with torch.random.fork_rng(devices=[]), _quiet_root_logger():
        torch.manual_seed(0)
        try:
            model = open_clip.create_model(model_name, pretrained=weights, device=device, **options)
            tokenizer = open_clip.get_tokenizer(model_name)
        except (RuntimeError, OSError, KeyError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"CLIP {model_name} with --pretrained {pretrained}: {reason}") from None
    model.eval().requires_grad_(False)
    preprocess = open_clip.get_model_preprocess_cfg(model)
    size = preprocess.get("size", 224)
    size = int(size if isinstance(size, int) else size[0])
    mean = torch.tensor(preprocess.get("mean", open_clip.OPENAI_DATASET_MEAN), device=device)
    std = torch.tensor(preprocess.get("std", open_clip.OPENAI_DATASET_STD), device=device)
    log.info("CLIP %s (%s) at %dx%d on %s", model_name, pretrained, size, size, device)
    return LoadedClip(model_name, pretrained, model, tokenizer, size,
                      mean.view(3, 1, 1), std.view(3, 1, 1))
