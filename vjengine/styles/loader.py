"""StyleLoader: loads style folders on its own thread, and reloads the shown ones when their files change."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from vjengine.styles.store import STYLE_FILE, WEIGHTS_FILE, Style, StyleError, check_slug, find_style

WATCH_SECONDS = 1.0


def folder_signature(folder: Path) -> tuple | None:
    """(mtime, size) of a style's files, or None when they are gone: a change means "reload"."""
    try:
        return tuple((s.st_mtime_ns, s.st_size) for s in
                     ((folder / name).stat() for name in (STYLE_FILE, WEIGHTS_FILE)))
    except OSError:
        return None


class StyleLoader:
    """Requests go in by slug; results (Style or StyleError) come out, drained by the render thread.

    Loaded styles can be watched: an edited folder is reloaded; a deleted or broken one yields
    one StyleError per change, and the render thread keeps the weights it already has.
    """

    def __init__(self, root: Path):
        self.root = root
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._watched: dict[str, tuple | None] = {}  # slug -> folder signature
        self._thread = threading.Thread(target=self._run, daemon=True, name="style-loader")
        self._thread.start()

    def request(self, slug: str) -> None:
        self._requests.put(slug)

    def watch(self, style: Style) -> None:
        """Reload this style whenever its folder changes (render thread)."""
        self._watched = {**self._watched, style.slug: folder_signature(self.root / style.slug)}

    def unwatch(self, slug: str) -> None:
        self._watched = {k: v for k, v in self._watched.items() if k != slug}

    def _load(self, slug: str) -> None:
        try:
            result: Style | StyleError = find_style(self.root, slug)
        except StyleError as exc:
            result = exc
        except OSError as exc:
            result = StyleError(f"{self.root / slug}: unreadable ({exc.strerror})")
        self._results.put((slug, result))

    def _check_watched(self) -> None:
        for slug, signature in list(self._watched.items()):
            current = folder_signature(self.root / check_slug(slug))
            if current == signature or slug not in self._watched:
                continue
            self._watched = {**self._watched, slug: current}
            self._load(slug)

    def _run(self) -> None:
        while True:
            try:
                item = self._requests.get(timeout=WATCH_SECONDS)
            except queue.Empty:
                self._check_watched()
                continue
            if item is None:
                return
            self._load(item)

    def results(self) -> list[tuple[str, Style | StyleError]]:
        """Everything loaded since the last call (render thread)."""
        done = []
        while True:
            try:
                done.append(self._results.get_nowait())
            except queue.Empty:
                return done

    def close(self) -> None:
        self._requests.put(None)
