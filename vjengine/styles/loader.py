"""StyleLoader: loads style folders on its own thread so the render loop never waits on disk."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from vjengine.styles.store import Style, StyleError, find_style


class StyleLoader:
    """Requests go in by slug; results (Style or StyleError) come out, drained by the render thread."""

    def __init__(self, root: Path):
        self.root = root
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._results: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True, name="style-loader")
        self._thread.start()

    def request(self, slot: str, slug: str) -> None:
        self._requests.put((slot, slug))

    def _run(self) -> None:
        while True:
            item = self._requests.get()
            if item is None:
                return
            slot, slug = item
            try:
                result: Style | StyleError = find_style(self.root, slug)
            except StyleError as exc:
                result = exc
            except OSError as exc:
                result = StyleError(f"{self.root / slug}: unreadable ({exc})")
            self._results.put((slot, slug, result))

    def results(self) -> list[tuple[str, str, Style | StyleError]]:
        """Everything loaded since the last call (render thread)."""
        done = []
        while True:
            try:
                done.append(self._results.get_nowait())
            except queue.Empty:
                return done

    def close(self) -> None:
        self._requests.put(None)
