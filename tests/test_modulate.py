"""Modulation: audio features, parameters and routes drive the frame inputs, purely and safely."""

import math

import pytest

from vjengine.audio import scale
from vjengine.audio.features import AudioFeatures
from vjengine.control.params import SPECS, ParamState
from vjengine.control.routes import CURVES, SOURCES, Route
from vjengine.control.tempo import TempoEngine
from vjengine.model import conditioning
from vjengine.audio.energy import EnergyMeter
from vjengine.modulate import MAX_FLASH_HZ, Modulator, SceneState, apply_routes, modulate

pytestmark = pytest.mark.unit

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
            features = AudioFeatures(t=t, bpm=bpm, beat_t=t, beat_count=beat + 1, energy=1.0)
            flashes += modulate(features, params, t).post.flash > 0.5
        assert 1.0 <= flashes / 20.0 <= MAX_FLASH_HZ + 1e-9, bpm


def test_beat_phase_extrapolates_between_beats():
    features = AudioFeatures(t=10.0, bpm=120.0, beat_t=10.0)
    assert math.isclose(features.beat_phase(10.25), 0.5)
    assert math.isclose(features.beat_phase(10.5), 0.0, abs_tol=1e-9)


def test_eased_features_head_to_rest():
    loud = AudioFeatures(t=1.0, rms=0.5, bass=3.0, bass_att=2.0, bpm=128.0, confidence=0.9)
    rest = loud.eased_to_rest(1.0)
    assert (rest.rms, rest.bass, rest.bass_att, rest.confidence) == (0.0, 1.0, 1.0, 0.0)
    assert rest.bpm == 128.0


def test_the_cppn_routes_and_osc_out_read_one_feature_scale():
    features = AudioFeatures(t=2.0, bass_att=1.5, mid_att=0.5, treble_att=3.0, rms=0.1, onset_t=1.9)
    values = scale.scaled(features, 2.0)
    assert set(values) == set(SOURCES) == set(scale.REST)
    assert (values["bass"], values["mid"], values["treble"]) == (0.75, 0.25, 1.0)
    assert values["level"] == pytest.approx(40 / 60) and values["onset"] == pytest.approx(math.exp(-0.1 / 0.15))
    c = modulate(features, PARAMS, 2.0).conditioning
    assert [c[conditioning.INDEX[name]] for name in ("bass", "mid", "treble", "onset", "level")] == [
        values[name] for name in ("bass", "mid", "treble", "onset", "level")]
    rest = scale.scaled(AudioFeatures(), 0.0)
    assert rest == scale.REST  # silence, no events: every feature at rest
    assert [float(x) for x in conditioning.rest_state()[4:]] == [0.5, 0.5, 0.5, 0.0, 0.0]


def test_a_route_moves_its_amount_as_the_feature_rises_from_rest_to_full():
    base = dict(PARAMS)
    for curve in CURVES:
        route = Route("bass", "hue", 0.4, curve)
        for quiet in (0.0, 0.5, 1.0):  # at or below the band's average: the set value
            assert apply_routes(base, [route], AudioFeatures(bass_att=quiet), 0.0)["hue"] == base["hue"]
        full = apply_routes(base, [route], AudioFeatures(bass_att=2.0), 0.0)["hue"]
        assert full == pytest.approx(0.4), curve
    for bass, offset in ((1.25, 0.25), (1.5, 0.5), (3.0, 1.0)):  # linear: energy / average - 1
        zoom = apply_routes(base, [Route("bass", "zoom", 0.3)], AudioFeatures(bass_att=bass), 0.0)["zoom"]
        normalised = SPECS["zoom"].to_normalised(1.0) + 0.3 * offset
        assert zoom == pytest.approx(SPECS["zoom"].from_normalised(normalised))
    square = apply_routes(base, [Route("bass", "hue", 0.4, "square")], AudioFeatures(bass_att=1.5), 0.0)
    assert square["hue"] == pytest.approx(0.4 * 0.25)


def test_routes_add_up_clamp_to_the_schema_and_leave_other_parameters():
    features = AudioFeatures(onset_t=0.0, rms=1.0)
    routed = apply_routes(PARAMS, [Route("level", "hue", 0.4, "square"), Route("onset", "hue", 0.1)],
                          features, 0.0)
    assert routed["hue"] == pytest.approx(0.5) and routed["zoom"] == PARAMS["zoom"]
    clamped = apply_routes(PARAMS, [Route("level", "brightness", 1.0)], features, 0.0)
    assert clamped["brightness"] == SPECS["brightness"].hi
    assert apply_routes(PARAMS, [Route("onset", "hue", 1.0)], features, 10.0)["hue"] == pytest.approx(0.0)
    assert apply_routes(PARAMS, (), features, 0.0) is PARAMS


def test_the_modulator_integrates_routed_speed_and_spin():
    modulator = Modulator()
    params = {**PARAMS, "speed": 1.0, "spin": 0.0}
    loud = AudioFeatures(rms=1.0, energy=1.0)
    for _ in range(10):
        modulator.step(0.0, 0.1, loud, params, [Route("level", "spin", 0.5)])
    assert modulator.scene.time == pytest.approx(1.0)
    assert modulator.scene.angle == pytest.approx(1.0 * SPECS["spin"].hi * 2 * math.pi / 10.0)


def test_energy_is_high_in_the_groove_low_in_a_breakdown_and_zero_in_silence():
    hop = 512 / 44100
    meter = EnergyMeter(hop)

    def run(seconds, mean_square):
        return [meter.update(mean_square) for _ in range(int(seconds / hop))]

    two_seconds = int(2.0 / hop)
    hits = [meter.update(0.1 if k % 43 < 4 else 0.001) for k in range(int(20.0 / hop))]  # 2 per second
    assert min(hits[two_seconds:]) > 0.95  # sparse hits do not pump
    groove = run(20.0, 0.1)
    breakdown = run(8.0, 0.1 * 10 ** -3.0)  # 30 dB quieter
    back = run(4.0, 0.1)
    assert min(groove[two_seconds:]) > 0.95 and back[-1] > 0.95
    assert max(breakdown[two_seconds:]) < 0.5 and max(breakdown[int(3.0 / hop):]) == 0.0
    pause = run(9.0, 0.0)  # silence between songs, then the next, quieter song sets its own reference
    assert max(pause[int(3.0 / hop):]) == 0.0
    assert run(6.0, 0.1 * 10 ** -2.0)[-1] > 0.9


def test_a_breakdown_is_darker_paler_slower_and_does_not_flash():
    groove = AudioFeatures(t=2.0, bpm=120.0, beat_t=2.0, beat_count=4, rms=0.3, energy=1.0)
    breakdown = AudioFeatures(t=2.0, bpm=120.0, beat_t=2.0, beat_count=4, rms=0.01, energy=0.0)
    params = {**PARAMS, "flash": 0.8, "strobe": 1.0}
    loud, calm = modulate(groove, params, 2.0), modulate(breakdown, params, 2.0)
    assert loud.post.flash == 1.0 and calm.post.flash < 0.2
    assert calm.post.brightness < loud.post.brightness - 0.15
    assert calm.post.saturation < loud.post.saturation
    assert calm.transform.zoom < loud.transform.zoom
    assert SceneState().advanced(1.0, params, 0.4).time < SceneState().advanced(1.0, params, 1.0).time
    unmoved = modulate(breakdown, {**params, "energy_follow": 0.0}, 2.0)
    assert unmoved.post == modulate(groove, {**params, "energy_follow": 0.0}, 2.0).post


def test_the_beat_phase_holds_still_once_the_beats_stop():
    engine = TempoEngine()  # the show's features pass through the tempo engine before modulation
    features = AudioFeatures(t=10.0, bpm=120.0, beat_t=10.0, beat_count=20, tempo_source="predictive")
    beat_sin = conditioning.INDEX["beat_sin"]
    assert modulate(engine.update(10.125, features), PARAMS, 10.125).conditioning[beat_sin] == pytest.approx(1.0)
    just_before = engine.update(10.999, features).beat_phase(10.999)
    held = [modulate(engine.update(t, features), PARAMS, t).conditioning[beat_sin]
            for t in (11.0 + 0.1 * k for k in range(40))]
    assert held == [0.0] * 40 and just_before == pytest.approx(0.998, abs=1e-3)