"""One training job, from its options to a finished style folder that the engine loads."""

from __future__ import annotations

import datetime
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from vjengine.errors import InputError
from vjengine.styles.store import check_slug, save_style, style_meta
from vjengine.train import outputs
from vjengine.train.checkpoint import load_checkpoint, save_checkpoint
from vjengine.train.cutouts import CutoutSpec
from vjengine.train.loop import Guide, StepReport, Trainer
from vjengine.train.prompts import PromptSet, prompt_set
from vjengine.train.recipe import Recipe
from vjengine.train.statistics import state_contrast

log = logging.getLogger(__name__)
CHECKPOINT_FOLDER = ".train"
STRIP_FILE = "strip.png"
CURVE_FILE = "training.png"


@dataclass(frozen=True)
class TrainJob:
    """Everything one style's training needs; `slug` names the folder under `out`."""

    slug: str
    title: str = ""
    prompt: str = ""
    negative: str = ""
    image: str | None = None
    image_weight: float = 1.0
    use_clip: bool = True
    clip_model: str = "RN50"
    pretrained: str = "openai"
    clip_config: str | None = None
    recipe: Recipe = field(default_factory=Recipe)
    cutouts: CutoutSpec = field(default_factory=CutoutSpec)
    band_weight: float = 0.3
    out: str = "styles"
    resume: bool = False
    checkpoint_every: int = 50
    device: str = "auto"


@dataclass(frozen=True)
class JobSummary:
    """What a finished job produced."""

    slug: str
    folder: str
    title: str
    method: str
    score: float
    prompt: str
    negative: str
    responsiveness: float
    seconds: float


def pick_device(name: str) -> torch.device:
    """The torch device for --device: auto tries CUDA, then Apple's MPS, then the CPU."""
    if name == "auto":
        mps = getattr(torch.backends, "mps", None)
        if torch.cuda.is_available():
            device = torch.device("cuda")
        elif mps is not None and mps.is_available():
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
        return device
    try:
        device = torch.device(name)
    except RuntimeError:
        raise InputError(f"--device {name!r}: expected auto, cpu, cuda[:N] or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"--device {name}: no CUDA device here")
    if device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise InputError(f"--device {name}: no Apple MPS device here")
    return device


def check_output_root(root: str | Path) -> Path:
    """Create the output folder if needed and prove it is writable, before any training starts."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as exc:
        raise InputError(f"output folder {root}: not writable ({exc.strerror or exc})") from None
    return root


def checkpoint_path(root: str | Path, slug: str) -> Path:
    """Where a style's resumable training state lives: <out>/.train/<slug>/checkpoint.safetensors."""
    return Path(root) / CHECKPOINT_FOLDER / slug / "checkpoint.safetensors"


def _prompts(job: TrainJob) -> PromptSet:
    return prompt_set(job.prompt, job.negative, source=f"style {job.slug!r} prompt")


def build_guide(job: TrainJob, device: torch.device) -> Guide:
    """CLIP guidance for text and/or image prompts, or statistics guidance for an image alone."""
    from vjengine.train.reference import load_reference

    prompts = _prompts(job)
    image = load_reference(job.image) if job.image else None
    if job.use_clip:
        if not prompts.positive and image is None:
            raise InputError(f"style {job.slug!r}: give a prompt with a positive weight or --image")
        from vjengine.train.clip_guide import ClipGuide
        from vjengine.train.clip_model import ClipWeightsMissing, load_clip, register_model_config

        if job.clip_config:
            register_model_config(job.clip_config)
        try:
            clip = load_clip(job.clip_model, job.pretrained, device)
        except ClipWeightsMissing as missing:
            if prompts:
                raise
            log.warning("%s; training --image with the texture guide instead", str(missing).split(":")[0])
            return texture_guide(job, image)
        return ClipGuide(clip, prompts, job.cutouts, image, job.image_weight)
    if prompts:
        raise InputError(f"style {job.slug!r}: text prompts need CLIP; drop --no-clip or give only --image")
    if image is None:
        raise InputError(f"style {job.slug!r}: --no-clip needs --image REF.png to take statistics from")
    return texture_guide(job, image)


def texture_guide(job: TrainJob, image: torch.Tensor) -> Guide:
    """The weight-free guide toward a picture's textures, colours and spectrum."""
    from vjengine.train.texture_guide import TextureGuide, TextureTarget

    target = TextureTarget.from_image(image, job.recipe.sizes[-1], source=str(job.image),
                                      seed=job.recipe.seed)
    return TextureGuide(target, band_weight=job.band_weight)


def write_style(trainer: Trainer, root: str | Path, slug: str, title: str, prompts: PromptSet,
                seconds: float, extra: dict | None = None, description: str = "",
                family: str = "") -> JobSummary:
    """Score the trained CPPN and write styles/<slug>/ with preview, strip and training curve.

    `extra` adds keys to the [train] table; `description` says in words what the style looks like
    and `family` which kind of look it is (e.g. tunnel, cellular).
    """
    frames = trainer.fixed_frames()
    score = trainer.guide.score(frames)
    responsiveness = float(state_contrast(frames))
    model = trainer.model.cpu().eval()
    train_table = {
        **trainer.recipe.table(),
        "steps_done": trainer.step,
        "score_size": trainer.recipe.sizes[-1],
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 1),
        **trainer.guide.table(),
        **(extra or {}),
    }
    described = {key: value for key, value in (("description", description), ("family", family))
                 if value}
    meta = style_meta(model.config, title or slug, prompts.display(), trainer.guide.method, score,
                      **described, **prompts.table(), responsiveness=round(responsiveness, 6),
                      train=train_table)
    folder = save_style(root, slug, model, meta, outputs.preview(model))
    _write_atomic(folder / STRIP_FILE, outputs.png_bytes(outputs.strip(model)))
    method = trainer.guide.method
    label = "similarity" if method == "clip" else "texture match" if "texture" in method else "colour match"
    _write_atomic(folder / CURVE_FILE, outputs.training_curve(trainer.history, label))
    log.info("wrote %s (%s score %.4f, responsiveness %.3f)", folder, trainer.guide.method, score,
             responsiveness)
    return JobSummary(slug, str(folder), title or slug, trainer.guide.method, score,
                      prompts.display(), " | ".join(p.text for p in prompts.negative),
                      responsiveness, seconds)


def _write_atomic(path: Path, blob: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_job(job: TrainJob, on_step: Callable[[StepReport], None] | None = None) -> JobSummary:
    """Train one style (resuming if asked) and write its folder under job.out."""
    check_slug(job.slug)
    root = check_output_root(job.out)
    device = pick_device(job.device)
    guide = build_guide(job, device)
    log.info("training on %s (--device %s)", device.type, job.device)
    trainer = Trainer(guide, job.recipe, device)
    checkpoint = checkpoint_path(root, job.slug)
    if job.resume:
        load_checkpoint(checkpoint, trainer)
        log.info("resuming %s at step %d of %d", job.slug, trainer.step, job.recipe.steps)
    started = time.perf_counter()
    trainer.run(on_step, lambda t: save_checkpoint(checkpoint, t), job.checkpoint_every)
    extra = {"image": job.image} if job.image and guide.method == "clip" else {}
    return write_style(trainer, root, job.slug, job.title, _prompts(job),
                       time.perf_counter() - started, extra)
