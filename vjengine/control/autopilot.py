"""The autopilot: at each new song section, the next style and transition, chosen by what the music sounds like.

When the analysis reports a section boundary (audio.structure), the autopilot picks a style
whose descriptors (styles.descriptors) match the section's energy: a drop or a loud section wants
an intense style (bright, colourful, contrasted, moving, beat-reacting), a breakdown a calm one.
It avoids the last few choices and, by `variety` (0..1), draws among more of the best matches
from a seeded generator, so the same song gives the same show. A drop is a cut on the next beat,
a breakdown a long crossfade from the next bar, any other change a shorter one from the next bar.
A manual style or crossfade change suspends it for `suspend_bars`. Every decision is logged.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import asdict, dataclass

from vjengine.audio.features import AudioFeatures
from vjengine.styles.descriptors import Descriptors

log = logging.getLogger(__name__)

TARGET_INTENSITY = {"low": 0.0, "mid": 0.5, "high": 1.0}
RECENT = 2  # this many recent choices are avoided while others are left
BREAKDOWN_BEATS, CHANGE_BEATS = 8.0, 4.0
SUSPEND_BARS = 8


@dataclass(frozen=True)
class Decision:
    """One change the autopilot asked for, and why."""

    t: float  # stream time of the section's confirmation
    section: int
    slug: str
    beats: float  # transition length, 0 = cut
    quantise: str  # "beat" or "bar"
    reason: str


class Autopilot:
    """Owned by ControlState and stepped once per frame (render thread)."""

    def __init__(self, descriptors: dict[str, Descriptors], seed: int = 0, variety: float = 0.3,
                 suspend_bars: int = SUSPEND_BARS, beats_per_bar: int = 4, enabled: bool = True):
        if not descriptors:
            raise ValueError("the autopilot needs at least one style")
        self.descriptors = dict(descriptors)
        self.enabled = enabled
        self.pool: tuple[str, ...] = tuple(sorted(descriptors))
        self.variety = variety
        self.suspend_bars = suspend_bars
        self.beats_per_bar = beats_per_bar
        self.decisions: list[Decision] = []
        self.suspended_until = -math.inf  # beat position
        self.seed = seed
        self._random = random.Random(seed)
        self._section = 0
        self._recent: list[str] = []

    def settings(self) -> dict:
        """How it started (seed, every style's descriptors), for a show journal."""
        return {"seed": self.seed, "variety": self.variety, "suspend_bars": self.suspend_bars,
                "descriptors": {slug: asdict(d) for slug, d in sorted(self.descriptors.items())}}

    @classmethod
    def from_settings(cls, settings: dict, beats_per_bar: int = 4) -> "Autopilot":
        """The autopilot as `settings()` described it when the show started (a replay's)."""
        descriptors = {slug: Descriptors(**values) for slug, values in settings["descriptors"].items()}
        return cls(descriptors, seed=int(settings["seed"]), variety=float(settings["variety"]),
                   suspend_bars=int(settings["suspend_bars"]), beats_per_bar=beats_per_bar)

    def set_pool(self, slugs: tuple[str, ...]) -> None:
        """Only these styles from now on (all measured ones for an empty tuple)."""
        unknown = [slug for slug in slugs if slug not in self.descriptors]
        if unknown:
            raise ValueError(f"autopilot pool: unknown style(s) {', '.join(unknown)} "
                             f"(expected some of {', '.join(sorted(self.descriptors))})")
        self.pool = tuple(dict.fromkeys(slugs)) or tuple(sorted(self.descriptors))

    def set_variety(self, variety: float) -> None:
        if not 0.0 <= variety <= 1.0:
            raise ValueError(f"autopilot variety {variety:g}: expected 0..1")
        self.variety = variety

    def suspend(self, position: float) -> None:
        """A manual change at this beat position: hold off for suspend_bars bars."""
        self.suspended_until = position + self.suspend_bars * self.beats_per_bar
        log.info("autopilot: manual change, suspended until beat %.0f", self.suspended_until)

    def describe(self, position: float) -> str:
        """Its state in a few words, for the HUD."""
        if not self.enabled:
            return "off"
        if position < self.suspended_until:
            return f"suspended until bar {int(self.suspended_until // self.beats_per_bar) + 1}"
        if not self.decisions:
            return "on, waiting for a new section"
        last = self.decisions[-1]
        return f"on, chose {last.slug} for section {last.section}"

    def step(self, features: AudioFeatures, position: float, showing: str | None) -> Decision | None:
        """The change to make this frame, if a new section has begun; `showing` is the visible style."""
        if features.section == self._section:
            return None
        self._section = features.section
        if not self.enabled:
            return None
        if position < self.suspended_until:
            log.info("autopilot: section %d (%s) at %.2f s ignored: suspended by a manual change",
                     features.section, features.section_kind, features.section_start)
            return None
        decision = self._decide(features, showing)
        if decision is not None:
            self.decisions.append(decision)
            self._recent = ([decision.slug] + self._recent)[:RECENT]
            log.info("autopilot: %s", decision.reason)
        return decision

    def _relative_intensity(self) -> dict[str, float]:
        """Each pooled style's intensity, rescaled so the pool's calmest is 0 and its most intense 1."""
        values = {slug: self.descriptors[slug].intensity for slug in self.pool}
        lo, hi = min(values.values()), max(values.values())
        return {slug: (value - lo) / (hi - lo) if hi > lo else 0.5 for slug, value in values.items()}

    def _decide(self, features: AudioFeatures, showing: str | None) -> Decision | None:
        kind = features.section_kind
        level = "high" if kind == "drop" else "low" if kind == "breakdown" else features.energy_class
        target = TARGET_INTENSITY[level]
        candidates = [slug for slug in self.pool if slug != showing]
        fresh = [slug for slug in candidates if slug not in self._recent]
        candidates = fresh or candidates
        if not candidates:
            return None
        intensity = self._relative_intensity()
        ranked = sorted(candidates, key=lambda slug: (abs(intensity[slug] - target), slug))
        choices = 1 + round(self.variety * (len(ranked) - 1))
        slug = ranked[self._random.randrange(choices)]
        if kind == "drop":
            beats, quantise, how = 0.0, "beat", "cut on the next beat"
        elif kind == "breakdown":
            beats, quantise, how = BREAKDOWN_BEATS, "bar", f"{BREAKDOWN_BEATS:g}-beat crossfade from the next bar"
        else:
            beats, quantise, how = CHANGE_BEATS, "bar", f"{CHANGE_BEATS:g}-beat crossfade from the next bar"
        reason = (f"section {features.section} ({kind}, {level} energy) began at {features.section_start:.2f} s: "
                  f"{slug} (intensity {intensity[slug]:.2f} in the pool, target {target:.1f}), {how}")
        return Decision(features.t, features.section, slug, beats, quantise, reason)
