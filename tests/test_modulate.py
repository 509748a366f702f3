"""Modulation: audio features and parameters drive the frame inputs, purely and safely."""

import math

from vjengine.audio.features import AudioFeatures
from vjengine.control.params import ParamState
from vjengine.model import conditioning
from vjengine.modulate import MAX_FLASH_HZ, SceneState, modulate

PARAMS = ParamState().current


def test_pure_same_inputs_same_frame():
    features = AudioFeatures(t=3.0, bpm=120.0, beat_t=2.9, onset_t=2.95, bass_att=1.5, rms=0.2)
    assert modulate(features, PARAMS, 3.0, SceneState(1.0, 0.5)) == modulate(
        features, PARAMS, 3.0, SceneState(1.0, 0.5))


def test_onset_and_bass_raise_their_conditioning_slots():
    quiet = modulate(AudioFeatures(t=1.0), PARAMS, 1.0).conditioning
    hit = modulate(AudioFeatures(t=1.0, onset_t=0.99, bass_att=2.0), PARAMS, 1.0).conditioning
    assert hit[conditioning.INDEX["onset"]] > 0.9 > quiet[conditioning.INDEX["onset"]]
    assert hit[conditioning.INDEX["bass"]] == 1.0 and quiet[conditioning.INDEX["bass"]] == 0.5


def test_reactivity_zero_silences_audio_influence():
    params = {**PARAMS, "reactivity": 0.0}
    loud = modulate(AudioFeatures(t=1.0, onset_t=0.99, bass_att=3.0, rms=0.9, beat_t=0.99), params, 1.0)
    calm = modulate(AudioFeatures(t=1.0), params, 1.0)
    i = [conditioning.INDEX[name] for name in ("bass", "mid", "treble", "onset", "level")]
    assert [loud.conditioning[k] for k in i] == [calm.conditioning[k] for k in i]
    assert loud.transform.zoom == calm.transform.zoom


def test_beat_pulses_zoom_and_flash():
    features = AudioFeatures(t=2.0, bpm=120.0, beat_t=2.0, beat_count=4)
    on_beat = modulate(features, PARAMS, 2.0)
    later = modulate(features, PARAMS, 2.4)
    assert on_beat.transform.zoom > later.transform.zoom >= PARAMS["zoom"]
    assert on_beat.post.flash > later.post.flash


def test_flashes_never_exceed_three_per_second_even_at_fast_tempi():
    params = {**PARAMS, "flash": 1.0, "strobe": 1.0}
    for bpm in (90.0, 174.0, 200.0, 300.0, 600.0):
        period = 60.0 / bpm
        flashes = 0
        for beat in range(int(20 / period)):
            t = beat * period
            features = AudioFeatures(t=t, bpm=bpm, beat_t=t, beat_count=beat + 1)
            flashes += modulate(features, params, t).post.flash > 0.5
        assert flashes / 20.0 <= MAX_FLASH_HZ + 1e-9, bpm


def test_beat_phase_extrapolates_between_beats():
    features = AudioFeatures(t=10.0, bpm=120.0, beat_t=10.0)
    assert math.isclose(features.beat_phase(10.25), 0.5)
    assert math.isclose(features.beat_phase(10.5), 0.0, abs_tol=1e-9)


def test_eased_features_head_to_rest():
    loud = AudioFeatures(t=1.0, rms=0.5, bass=3.0, bass_att=2.0, bpm=128.0, confidence=0.9)
    rest = loud.eased_to_rest(1.0)
    assert (rest.rms, rest.bass, rest.bass_att, rest.confidence) == (0.0, 1.0, 1.0, 0.0)
    assert rest.bpm == 128.0
