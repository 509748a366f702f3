"""AudioFeatures + parameters + time -> FrameInputs: the pure heart of "audio-reactive"."""

from __future__ import annotations

import math
from dataclasses import dataclass

from vjengine.audio.features import AudioFeatures
from vjengine.model import conditioning
from vjengine.model.coords import CoordinateTransform

TIME_PERIOD = 16.0  # seconds of scene time for one turn of the slow time phase (at speed 1)
ONSET_DECAY = 0.15  # seconds for the onset envelope to fall to 1/e
BEAT_DECAY = 0.12  # seconds for the beat envelope (zoom pulse, flash) to fall to 1/e
STROBE_SECONDS = 0.04  # how long one strobe flash lasts
MAX_FLASH_HZ = 3.0  # photosensitivity limit for flashes and strobes
LEVEL_FLOOR_DB = -60.0


@dataclass(frozen=True)
class SceneState:
    """What the frame path integrates over time: scene time (runs at `speed`) and spin angle."""

    time: float = 0.0
    angle: float = 0.0

    def advanced(self, dt: float, params: dict[str, float]) -> "SceneState":
        return SceneState(self.time + dt * params["speed"],
                          self.angle + dt * params["spin"] * 2 * math.pi / 10.0)


@dataclass(frozen=True)
class PostParams:
    """Values for the GLSL post passes of one frame."""

    hue: float = 0.0
    saturation: float = 1.0
    brightness: float = 0.0
    contrast: float = 1.0
    trails: float = 0.0
    kaleido: int = 0
    kaleido_angle: float = 0.0
    flash: float = 0.0  # 0..1 white added this frame


@dataclass(frozen=True)
class FrameInputs:
    """Everything the CPPN and the shaders need for one frame."""

    t: float
    conditioning: tuple[float, ...]
    transform: CoordinateTransform
    xfade: float  # from style A (0) to style B (1)
    post: PostParams


def envelope(t: float, event_t: float, decay: float) -> float:
    """1 at an event, falling exponentially after it; 0 before the first event."""
    if not math.isfinite(event_t) or t < event_t:
        return 0.0
    return math.exp(-(t - event_t) / decay)


def _band(value: float, reactivity: float) -> float:
    """Relative band energy (1 = average) -> 0..1 with 0.5 at the average."""
    return min(max(0.5 * (1.0 + reactivity * (value - 1.0)), 0.0), 1.0)


def _level(rms: float, reactivity: float) -> float:
    db = 20.0 * math.log10(max(rms, 1e-9))
    return min(max(reactivity * (db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB, 0.0), 1.0)


def flash_allowed(features: AudioFeatures) -> bool:
    """Whether the current beat may flash: beats are thinned so flashes stay <= MAX_FLASH_HZ."""
    if features.period <= 0:
        return True
    every = max(1, math.ceil(1.0 / (MAX_FLASH_HZ * features.period)))
    return features.beat_count % every == 0


def conditioning_vector(features: AudioFeatures, params: dict[str, float], t: float,
                        scene: SceneState) -> tuple[float, ...]:
    """The CPPN's per-frame input, in the order of model.conditioning.LAYOUT."""
    reactivity = params["reactivity"]
    time_phase = 2 * math.pi * scene.time / TIME_PERIOD
    beat_phase = 2 * math.pi * features.beat_phase(t)
    onset = min(reactivity * envelope(t, features.onset_t, ONSET_DECAY), 1.0)
    values = {
        "time_sin": math.sin(time_phase), "time_cos": math.cos(time_phase),
        "beat_sin": math.sin(beat_phase), "beat_cos": math.cos(beat_phase),
        "bass": _band(features.bass_att, reactivity), "mid": _band(features.mid_att, reactivity),
        "treble": _band(features.treble_att, reactivity), "onset": onset,
        "level": _level(features.rms, reactivity),
    }
    return tuple(values[name] for name in conditioning.NAMES)


def modulate(features: AudioFeatures, params: dict[str, float], t: float,
             scene: SceneState = SceneState()) -> FrameInputs:
    """Frame inputs at audio time t from the latest features, current parameters and scene state."""
    beat = envelope(t, features.beat_t, BEAT_DECAY)
    may_flash = flash_allowed(features)
    zoom = params["zoom"] * (1.0 + params["beat_zoom"] * beat * params["reactivity"])
    transform = CoordinateTransform(
        zoom=zoom, rotation=scene.angle, pan_x=params["pan_x"], pan_y=params["pan_y"],
        symmetry=int(params["symmetry"]),
    )
    strobe_on = may_flash and math.isfinite(features.beat_t) and 0.0 <= t - features.beat_t < STROBE_SECONDS
    flash = params["flash"] * beat if may_flash else 0.0
    if strobe_on:
        flash = max(flash, params["strobe"])
    post = PostParams(
        hue=params["hue"], saturation=params["saturation"], brightness=params["brightness"],
        contrast=params["contrast"], trails=params["trails"], kaleido=int(params["kaleido"]),
        kaleido_angle=scene.angle * 0.5, flash=min(flash, 1.0),
    )
    return FrameInputs(
        t=t, conditioning=conditioning_vector(features, params, t, scene), transform=transform,
        xfade=params["xfade"], post=post,
    )
