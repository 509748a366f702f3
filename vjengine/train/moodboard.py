"""Mood boards: a TOML list of styles trained one after another or on Ray, shown on one HTML sheet."""

from __future__ import annotations

import base64
import html
import logging
import os
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from vjengine.errors import InputError
from vjengine.styles.store import PREVIEW_FILE, STYLE_FILE, WEIGHTS_FILE, check_slug, slugify
from vjengine.train.job import (
    CURVE_FILE,
    STRIP_FILE,
    JobSummary,
    TrainJob,
    check_output_root,
    run_job,
)

log = logging.getLogger(__name__)
SHEET_FILE = "moodboard.html"
STYLE_FILES = (STYLE_FILE, WEIGHTS_FILE, PREVIEW_FILE, STRIP_FILE, CURVE_FILE)
MAX_MOODBOARD_BYTES = 1 << 20
# Keys a mood-board entry (or its [defaults]) may set, and their types.
ENTRY_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str, "prompt": str, "negative": str, "image": str, "image_weight": (int, float),
    "seed": int, "steps": int, "sizes": list, "lr": (int, float), "states": int, "cutouts": int,
    "responsive": (int, float), "warmup": int,
}


def _check_entry(path: Path, where: str, entry: object) -> dict:
    if not isinstance(entry, dict):
        raise InputError(f"{path}: {where} must be a table")
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        raise InputError(f"{path}: {where} has unknown keys {unknown} (expected {sorted(ENTRY_KEYS)})")
    for key, value in entry.items():
        if not isinstance(value, ENTRY_KEYS[key]) or isinstance(value, bool):
            raise InputError(f"{path}: {where} key {key!r} has the wrong type ({type(value).__name__})")
    return dict(entry)


def read_moodboard(path: str | Path) -> list[dict]:
    """The styles a mood-board file lists, each as option overrides ({"name": ..., "prompt": ...}).

    Format: an optional [defaults] table and one [[style]] table per style with a `name` and a
    `prompt` and/or `image` (relative to the file). Raises InputError naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: mood-board file not found (expected TOML with [[style]] tables)")
    if path.stat().st_size > MAX_MOODBOARD_BYTES:
        raise InputError(f"{path}: mood-board file larger than {MAX_MOODBOARD_BYTES} bytes")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: unreadable TOML ({exc})") from None
    unknown = sorted(set(table) - {"defaults", "style"})
    if unknown:
        raise InputError(f"{path}: unknown top-level keys {unknown} (expected [defaults], [[style]])")
    defaults = _check_entry(path, "[defaults]", table.get("defaults", {}))
    if "name" in defaults:
        raise InputError(f"{path}: [defaults] cannot set a name")
    styles = table.get("style")
    if not isinstance(styles, list) or not styles:
        raise InputError(f"{path}: no [[style]] tables (each needs a name and a prompt or image)")
    entries, seen = [], set()
    for number, raw in enumerate(styles, start=1):
        entry = {**defaults, **_check_entry(path, f"style #{number}", raw)}
        if not entry.get("name", "").strip():
            raise InputError(f"{path}: style #{number} needs a name")
        if not entry.get("prompt", "").strip() and "image" not in entry:
            raise InputError(f"{path}: style {entry['name']!r} needs a prompt or an image")
        slug = slugify(entry["name"])
        if slug in seen:
            raise InputError(f"{path}: two styles share the folder name {slug!r}")
        seen.add(slug)
        if "image" in entry:
            entry["image"] = str((path.parent / entry["image"]).resolve())
        if "sizes" in entry:
            entry["sizes"] = tuple(entry["sizes"])
        entry["title"], entry["name"] = entry["name"], check_slug(slug)
        entries.append(entry)
    return entries


def train_remote(job: TrainJob) -> tuple[JobSummary, dict[str, bytes]]:
    """Train on a Ray worker into a scratch folder; returns the summary and the style's files."""
    with tempfile.TemporaryDirectory(prefix="vjengine-train-") as scratch:
        summary = run_job(replace(job, out=scratch))
        folder = Path(summary.folder)
        files = {name: (folder / name).read_bytes() for name in STYLE_FILES if (folder / name).is_file()}
    return summary, files


def _store_files(root: Path, summary: JobSummary, files: dict[str, bytes]) -> JobSummary:
    folder = root / summary.slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, folder / name)
    return replace(summary, folder=str(folder))


def _run_on_ray(jobs: list[TrainJob], address: str, on_done: Callable[[JobSummary], None]
                ) -> list[JobSummary]:
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray: pip install 'vjengine[ray]'") from None
    if any(job.resume for job in jobs):
        raise InputError("--resume is not available with --ray (checkpoints stay on the workers)")
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(f"--ray {address}: cannot connect ({str(exc).splitlines()[0]})") from None
    try:
        remote = ray.remote(num_cpus=1)(train_remote)
        pending = {remote.remote(job): index for index, job in enumerate(jobs)}
        results: list[JobSummary | None] = [None] * len(jobs)
        while pending:
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            index = pending.pop(ready)
            try:
                summary, files = ray.get(ready)
            except ray.exceptions.RayTaskError as exc:
                if isinstance(exc.cause, InputError):
                    raise InputError(str(exc.cause)) from None
                raise
            results[index] = _store_files(Path(jobs[index].out), summary, files)
            on_done(results[index])
        return results
    finally:
        ray.shutdown()


def run_moodboard(jobs: list[TrainJob], out: str | Path, ray_address: str | None = None,
                  run_local: Callable[[TrainJob], JobSummary] = run_job) -> Path:
    """Train every job (one after another, or on the Ray cluster at ray_address) and write the sheet."""
    root = check_output_root(out)

    def done(summary: JobSummary) -> None:
        log.info("%s: %s score %.4f", summary.slug, summary.method, summary.score)

    if ray_address:
        summaries = _run_on_ray(jobs, ray_address, done)
    else:
        summaries = []
        for job in jobs:
            summaries.append(run_local(job))
            done(summaries[-1])
    return write_sheet(summaries, root)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def write_sheet(summaries: list[JobSummary], root: str | Path) -> Path:
    """moodboard.html: previews, audio-state strips, curves, scores and prompts, pictures inlined
    so the one file opens offline anywhere."""
    cards = []
    for s in summaries:
        folder = Path(s.folder)
        negative = f"<p class=neg>not: {html.escape(s.negative)}</p>" if s.negative else ""
        cards.append(f"""<section>
<h2>{html.escape(s.title)} <small>{html.escape(s.slug)}</small></h2>
<p class=prompt>{html.escape(s.prompt) or "(image prompt)"}</p>{negative}
<p>{html.escape(s.method)} score <b>{s.score:.4f}</b> &middot; responsiveness {s.responsiveness:.3f}
&middot; {s.seconds:.0f} s</p>
<img class=preview src="{_data_uri(folder / PREVIEW_FILE)}" alt="preview of {html.escape(s.slug)}">
<img class=strip src="{_data_uri(folder / STRIP_FILE)}" alt="audio states">
<img class=curve src="{_data_uri(folder / CURVE_FILE)}" alt="training curve">
</section>""")
    page = f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>vjengine mood board</title>
<style>
body {{ background: #111; color: #ddd; font: 14px system-ui, sans-serif; margin: 2em; }}
section {{ border-top: 1px solid #333; padding: 1em 0; }}
h2 small {{ color: #888; font-weight: normal; }}
.prompt {{ font-size: 1.2em; color: #fff; }} .neg {{ color: #c88; }}
img {{ display: block; margin: .5em 0; max-width: 100%; }} .preview {{ width: 384px; }}
</style></head><body>
<h1>Mood board: {len(summaries)} styles</h1>
{"".join(cards)}
</body></html>
"""
    path = Path(root) / SHEET_FILE
    path.write_text(page, encoding="utf-8")
    return path
