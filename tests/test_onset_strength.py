"""The onset strength on tones with known attacks, through the analysis's own phase vocoder."""

from __future__ import annotations

import aubio
import numpy as np
import pytest

from vjengine.audio.analysis import AnalysisConfig
from vjengine.audio.onset_strength import OnsetStrength

CONFIG = AnalysisConfig()


def _tone(rise_seconds: float) -> np.ndarray:
    """2 s of faint noise, then a 220 Hz tone with harmonics whose level rises by 60 dB over
    rise_seconds (evenly in dB, like a bowed or swelling note; 0 = a hard attack), held for 1 s."""
    sr = CONFIG.samplerate
    rng = np.random.default_rng(0)
    t = np.arange(int(1.0 * sr)) / sr
    tone = sum(np.sin(2 * np.pi * 220.0 * k * t) / k for k in range(1, 6))
    gain_db = np.minimum(t / rise_seconds, 1.0) * 60.0 - 60.0 if rise_seconds > 0 else np.zeros_like(t)
    quiet = 1e-4 * rng.standard_normal(2 * sr)
    return np.concatenate([quiet, 0.3 * tone * 10 ** (gain_db / 20) + 1e-4 * rng.standard_normal(len(t))])


def _peaks(signal: np.ndarray) -> tuple[float, float]:
    """Largest one-hop onset strength and largest attack strength over the signal."""
    pvoc = aubio.pvoc(CONFIG.window_size, CONFIG.hop_size)
    strength = OnsetStrength(CONFIG.samplerate, CONFIG.window_size, CONFIG.hop_size)
    one_hop = attack = 0.0
    hop = CONFIG.hop_size
    for start in range(0, len(signal) - hop + 1, hop):
        value = strength(pvoc(signal[start:start + hop].astype(np.float32)).norm)
        one_hop, attack = max(one_hop, value), max(attack, strength.attack)
    return one_hop, attack


@pytest.mark.unit
@pytest.mark.parametrize("rise", [0.02, 0.04, 0.06])
def test_an_attack_over_several_hops_counts_in_full_in_the_attack_strength(rise):
    one_hop, attack = _peaks(_tone(rise))
    assert attack >= 1.8 * one_hop  # the rise over two hops, where one hop sees about half of it


@pytest.mark.unit
def test_a_hard_attack_has_about_the_same_strength_either_way():
    one_hop, attack = _peaks(_tone(0.0))
    assert attack <= 1.1 * one_hop
