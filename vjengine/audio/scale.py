"""The one feature scale: AudioFeatures at a moment as values in 0..1, for the CPPN, routes and OSC out.

| feature | 0 | at rest | 1 |
| --- | --- | --- | --- |
| `bass`, `mid`, `treble` | silence in the band | 0.5: the band's running average | twice the average or more |
| `level` | -60 dBFS or quieter | 0 | 0 dBFS |
| `energy` | silence, or 20 dB under the song's loud parts | 0 | as loud as the song's loud parts |
| `onset` | long after an onset | 0 | at an onset, falling to 1/e in 0.15 s |
| `beat` | long after a beat | 0 | on a beat, falling to 1/e in 0.12 s |
| `phase` | on a beat | 0 | rising through the beat toward the next |

Bands are the attack/release smoothed energies (`*_att`). `reactivity` stretches bands, level and
onset away from rest (0 holds them there): the CPPN's conditioning uses the show's reactivity
parameter, modulation routes and `--osc-out` use 1.
"""

from __future__ import annotations

import math

from vjengine.audio.features import AudioFeatures

ONSET_DECAY = 0.15  # seconds for the onset envelope to fall to 1/e
BEAT_DECAY = 0.12  # seconds for the beat envelope (zoom pulse, flash) to fall to 1/e
LEVEL_FLOOR_DB = -60.0
FEATURES = {
    "bass": "bass energy: 0.5 at its running average, 1 at twice it",
    "mid": "mid energy: 0.5 at its running average, 1 at twice it",
    "treble": "treble energy: 0.5 at its running average, 1 at twice it",
    "level": f"loudness, {LEVEL_FLOOR_DB:g} dB -> 0 to 0 dB -> 1",
    "energy": "loudness against the song's loud parts: 1 in the groove, 0 in silence or a deep breakdown",
    "onset": "onset envelope: 1 at an onset, decaying",
    "beat": "beat envelope: 1 on the beat, decaying",
    "phase": "position within the beat, rising 0 -> 1",
}
REST = {"bass": 0.5, "mid": 0.5, "treble": 0.5, "level": 0.0, "energy": 0.0, "onset": 0.0, "beat": 0.0,
        "phase": 0.0}


def envelope(t: float, event_t: float, decay: float) -> float:
    """1 at an event, falling exponentially after it; 0 before the first event."""
    if not math.isfinite(event_t) or t < event_t:
        return 0.0
    return math.exp(-(t - event_t) / decay)


def band(value: float, reactivity: float = 1.0) -> float:
    """A band energy relative to its average (1 = average) on the scale: 0.5 at the average."""
    return min(max(0.5 * (1.0 + reactivity * (value - 1.0)), 0.0), 1.0)


def level(rms: float, reactivity: float = 1.0) -> float:
    """RMS on the scale: LEVEL_FLOOR_DB -> 0 to 0 dBFS -> 1."""
    db = 20.0 * math.log10(max(rms, 1e-9))
    return min(max(reactivity * (db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB, 0.0), 1.0)


def onset(features: AudioFeatures, t: float, reactivity: float = 1.0) -> float:
    """The onset envelope at time t on the scale."""
    return min(reactivity * envelope(t, features.onset_t, ONSET_DECAY), 1.0)


def scaled(features: AudioFeatures, t: float, reactivity: float = 1.0) -> dict[str, float]:
    """Every feature of the table above at time t."""
    return {
        "bass": band(features.bass_att, reactivity), "mid": band(features.mid_att, reactivity),
        "treble": band(features.treble_att, reactivity), "level": level(features.rms, reactivity),
        "energy": features.energy, "onset": onset(features, t, reactivity),
        "beat": envelope(t, features.beat_t, BEAT_DECAY), "phase": features.beat_phase(t),
    }
