"""AudioFeatures + parameters + routes + time -> FrameInputs: the pure heart of "audio-reactive".

Every audio feature enters on the one feature scale of audio.scale: the CPPN's conditioning, the
modulation routes (and `--osc-out`) read the same values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from vjengine.audio import scale
from vjengine.audio.features import AudioFeatures
from vjengine.audio.scale import BEAT_DECAY, envelope
from vjengine.control.params import SPECS
from vjengine.control.routes import CURVES, Route
from vjengine.model import conditioning
from vjengine.model.coords import CoordinateTransform

TIME_PERIOD = 16.0  # seconds of scene time for one turn of the slow time phase (at speed 1)
STROBE_SECONDS = 0.04  # how long one strobe flash lasts
MAX_FLASH_HZ = 3.0  # photosensitivity limit for flashes and strobes
# At energy 0 with energy_follow 1: how much darker, less saturated and slower the picture is.
CALM_BRIGHTNESS, CALM_SATURATION, CALM_SPEED = 0.3, 0.4, 1.0


@dataclass(frozen=True)
class SceneState:
    """What the frame path integrates over time: scene time (runs at `speed`) and spin angle."""

    time: float = 0.0
    angle: float = 0.0

    def advanced(self, dt: float, params: dict[str, float], drive: float = 1.0) -> "SceneState":
        """dt later; `drive` (see drive()) slows the scene's time and spin when the music is calm."""
        pace = dt * (1.0 - CALM_SPEED * (1.0 - drive))
        return SceneState(self.time + pace * params["speed"],
                          self.angle + pace * params["spin"] * 2 * math.pi / 10.0)


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


def drive(features: AudioFeatures, params: dict[str, float]) -> float:
    """1 in the music's loud parts, down to 1 - energy_follow in silence or a deep breakdown."""
    return 1.0 - params["energy_follow"] * (1.0 - features.energy)


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
    values = {
        "time_sin": math.sin(time_phase), "time_cos": math.cos(time_phase),
        "beat_sin": math.sin(beat_phase), "beat_cos": math.cos(beat_phase),
        "bass": scale.band(features.bass_att, reactivity), "mid": scale.band(features.mid_att, reactivity),
        "treble": scale.band(features.treble_att, reactivity),
        "onset": scale.onset(features, t, reactivity), "level": scale.level(features.rms, reactivity),
    }
    return tuple(values[name] for name in conditioning.NAMES)


def modulate(features: AudioFeatures, params: dict[str, float], t: float,
             scene: SceneState = SceneState()) -> FrameInputs:
    """Frame inputs at audio time t from the latest features, current parameters and scene state.

    The beat's zoom pulse, flash and strobe shrink with the square of drive(), and the colour
    darkens and pales with it: a breakdown is calm, silence is dark and still."""
    calm = 1.0 - drive(features, params)
    beat = envelope(t, features.beat_t, BEAT_DECAY) * (1.0 - calm) ** 2
    may_flash = flash_allowed(features)
    zoom = params["zoom"] * (1.0 + params["beat_zoom"] * beat * params["reactivity"])
    transform = CoordinateTransform(
        zoom=zoom, rotation=scene.angle, pan_x=params["pan_x"], pan_y=params["pan_y"],
        symmetry=int(params["symmetry"]),
    )
    strobe_on = may_flash and math.isfinite(features.beat_t) and 0.0 <= t - features.beat_t < STROBE_SECONDS
    flash = params["flash"] * beat if may_flash else 0.0
    if strobe_on:
        flash = max(flash, params["strobe"] * (1.0 - calm) ** 2)
    post = PostParams(
        hue=params["hue"], saturation=params["saturation"] * (1.0 - CALM_SATURATION * calm),
        brightness=params["brightness"] - CALM_BRIGHTNESS * calm,
        contrast=params["contrast"], trails=params["trails"], kaleido=int(params["kaleido"]),
        kaleido_angle=scene.angle * 0.5, flash=min(flash, 1.0),
    )
    return FrameInputs(
        t=t, conditioning=conditioning_vector(features, params, t, scene), transform=transform,
        xfade=params["xfade"], post=post,
    )


def route_offset(route: Route, features: dict[str, float]) -> float:
    """How far a route moves its parameter (normalised units) for these scaled features: the
    feature's way from rest up to 1, through the route's curve, times `amount`."""
    rest = scale.REST[route.source]
    return route.amount * CURVES[route.curve](max(features[route.source] - rest, 0.0) / (1.0 - rest))


def apply_routes(params: dict[str, float], routes: Iterable[Route], features: AudioFeatures,
                 t: float) -> dict[str, float]:
    """Parameter values with every route's offset added in normalised units, clamped by the schema."""
    routes = tuple(routes)
    if not routes:
        return params
    values = scale.scaled(features, t)
    offsets: dict[str, float] = {}
    for route in routes:
        offsets[route.param] = offsets.get(route.param, 0.0) + route_offset(route, values)
    out = dict(params)
    for name, offset in offsets.items():
        spec = SPECS[name]
        out[name] = spec.from_normalised(spec.to_normalised(params[name]) + offset)
    return out


class Modulator:
    """Frame after frame: routes applied, scene time and spin integrated, frame inputs made."""

    def __init__(self):
        self.scene = SceneState()

    def step(self, t: float, dt: float, features: AudioFeatures, params: dict[str, float],
             routes: Iterable[Route] = ()) -> FrameInputs:
        """The inputs of the frame at audio time t, dt after the previous one."""
        routed = apply_routes(params, routes, features, t)
        self.scene = self.scene.advanced(dt, routed, drive(features, routed))
        return modulate(features, routed, t, self.scene)
