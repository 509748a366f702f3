"""The style cache of a show: the prepared weights of every style the controls count as loaded.

Each frame `sync` tells the controls which styles have loaded (or failed) since the last frame and
returns those loads for the journal. The live cache loads what the decks want off the render
thread and reloads a loaded style when its files change; offline render and replay prepare their
styles up front and report the loads they are given.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from vjengine.control.state import ControlState
from vjengine.render.evaluate import Backend, FoldedWeights
from vjengine.styles.loader import StyleLoader
from vjengine.styles.store import Style, StyleError

log = logging.getLogger(__name__)

Load = tuple[str, str | None]  # (slug, content hash), the hash None for a failed load


class StyleCache:
    """Prepared weights by slug (render thread)."""

    def __init__(self, backend: Backend):
        self.backend = backend
        self.weights: dict[str, FoldedWeights] = {}
        self.styles: dict[str, Style] = {}  # the loaded styles themselves (breeding needs them)
        self.failures = 0  # loads that failed

    def get(self, slug: str | None) -> FoldedWeights | None:
        return self.weights.get(slug) if slug is not None else None

    def sync(self, state: ControlState) -> list[Load]:
        """Report the loads since the last frame to `state`; returns them."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop loading."""


class LoadingStyles(StyleCache):
    """The live show's: wanted styles load on the loader's thread; a loaded one whose files
    change is reloaded, and if the new files are broken the loaded weights stay."""

    def __init__(self, backend: Backend, loader: StyleLoader):
        super().__init__(backend)
        self.loader = loader
        self.requested: set[str] = set()

    def sync(self, state: ControlState) -> list[Load]:
        reported: list[Load] = []
        wanted = set(state.wanted_styles())
        for slug in wanted - self.requested:
            self.loader.request(slug)
        self.requested |= wanted
        for slug, result in self.loader.results():
            if isinstance(result, StyleError):
                self.failures += 1
                if slug in self.weights:
                    log.error("style %s changed on disk but cannot be used; keeping the loaded weights: %s",
                              slug, result)
                else:
                    state.style_failed(slug, str(result))
                    reported.append((slug, None))
                    self.requested.discard(slug)
                continue
            self.weights[slug] = self.backend.prepare(result)
            self.styles[slug] = result
            self.loader.watch(result)
            state.style_loaded(slug)
            reported.append((slug, result.content_hash))
            log.info("style loaded: %s", slug)
        return reported

    def close(self) -> None:
        self.loader.close()


class PreparedStyles(StyleCache):
    """Styles prepared up front (offline render, replay); loads are reported as `arrive` gives them."""

    def __init__(self, backend: Backend, styles: Iterable[Style]):
        super().__init__(backend)
        self.styles = {style.slug: style for style in styles}
        self.weights = {slug: backend.prepare(style) for slug, style in self.styles.items()}
        self._arrived: list[Load] = []

    def arrive(self, loads: Iterable[Load]) -> None:
        """Loads to report at the next sync (a replay's, as the journal recorded them)."""
        self._arrived.extend(loads)

    def sync(self, state: ControlState) -> list[Load]:
        arrived, self._arrived = self._arrived, []
        for slug, digest in arrived:
            if digest is None:
                self.failures += 1
                state.style_failed(slug, "it failed to load during the show")
            else:
                state.style_loaded(slug)
        return arrived
