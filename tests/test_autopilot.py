"""The autopilot: its choices, its controls (real OSC datagrams), `render --autopilot`, and a live
show under --autopilot that switches on the drop and replays to the same pictures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pythonosc.osc_message_builder import OscMessageBuilder

from tests.conftest import need_program, need_real
from tests.live import LiveEngine
from vjengine.demo import sectioned_song
from vjengine.audio.features import AudioFeatures
from vjengine.clock import ManualClock
from vjengine.control.autopilot import Autopilot
from vjengine.control.events import ControlBus
from vjengine.control.osc import OscServer
from vjengine.control.state import ControlState
from vjengine.demo import SAMPLERATE, write_wav
from vjengine.render.backends.cpu_kernel import load_or_build
from vjengine.errors import InputError
from vjengine.styles.descriptors import Descriptors, measure
from vjengine.styles.store import find_style


STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"


def looks(level: float) -> Descriptors:
    return Descriptors(level, level, level, level, level)


STYLES = {"calm": looks(0.1), "soft": looks(0.3), "middle": looks(0.5), "bright": looks(0.8), "wild": looks(1.0)}


def section(index: int, kind: str, energy_class: str = "mid", t: float = 10.0) -> AudioFeatures:
    return AudioFeatures(t=t, section=index, section_start=t - 1.0, section_kind=kind, energy_class=energy_class)


@pytest.mark.unit
def test_descriptors_measured_from_the_shipped_styles_frames_follow_their_looks():
    pastel, glitch = (measure(find_style(STYLES_DIR, slug)) for slug in ("pastel-wash", "red-glitch"))
    assert pastel.brightness > glitch.brightness + 0.3  # a pale wash against red on black
    assert pastel.contrast < glitch.contrast - 0.3
    for value in (*vars(pastel).values(), *vars(glitch).values()):
        assert 0.0 <= value <= 1.0


@pytest.mark.unit
def test_style_toml_overrides_a_descriptor_and_a_bad_override_is_a_clear_error():
    style = find_style(STYLES_DIR, "red-glitch")
    style.meta["autopilot"] = {"brightness": 0.95}
    assert measure(style).brightness == 0.95
    style.meta["autopilot"] = {"loudness": 0.5}
    with pytest.raises(InputError, match="red-glitch.*may only set beat_response, brightness"):
        measure(style)
    style.meta["autopilot"] = {"motion": 2}
    with pytest.raises(InputError, match="motion = 2, expected a number 0..1"):
        measure(style)


@pytest.mark.unit
def test_a_drop_cuts_to_the_most_intense_style_and_a_breakdown_fades_to_the_calmest():
    pilot = Autopilot(STYLES, variety=0.0)
    drop = pilot.step(section(1, "drop"), 16.0, "middle")
    assert (drop.slug, drop.beats, drop.quantise) == ("wild", 0.0, "beat")
    assert "drop" in drop.reason and "wild" in drop.reason
    breakdown = pilot.step(section(2, "breakdown"), 48.0, "wild")
    assert (breakdown.slug, breakdown.beats, breakdown.quantise) == ("calm", 8.0, "bar")
    assert pilot.step(section(2, "breakdown"), 50.0, "calm") is None  # one decision per section


@pytest.mark.unit
def test_recent_choices_are_avoided_and_a_seed_repeats_its_choices():
    pilot = Autopilot(STYLES, variety=0.0)
    first = pilot.step(section(1, "drop"), 0.0, "calm").slug
    second = pilot.step(section(2, "drop"), 32.0, "calm").slug
    assert (first, second) == ("wild", "bright")

    def show(seed: int) -> list[str]:
        pilot = Autopilot(STYLES, seed=seed, variety=1.0)
        return [pilot.step(section(i, "change"), 16.0 * i, None).slug for i in range(1, 12)]

    assert show(3) == show(3)
    assert len(set(show(3))) >= 4


@pytest.mark.unit
def test_osc_switches_it_sets_its_pool_and_variety_and_a_manual_change_suspends_it():
    state = ControlState()
    state.autopilot = Autopilot(STYLES, variety=0.0, suspend_bars=8)
    bus = ControlBus()
    server = OscServer(bus, ManualClock(), lambda: state.snapshot, port=0)
    beat = 0.5  # 120 BPM

    def frame(t: float, features: AudioFeatures = AudioFeatures()):
        for event in bus.drain():
            state.handle(event)
        features = AudioFeatures(t=t, bpm=120.0, confidence=0.9, beat_t=int(t / beat) * beat,
                                 beat_count=int(t / beat), tempo_source="predictive",
                                 section=features.section, section_kind=features.section_kind,
                                 energy_class=features.energy_class)
        return state.update(t, features)

    def send(address: str, *args):
        builder = OscMessageBuilder(address)
        for arg in args:
            builder.add_arg(arg)
        server.feed(builder.build().dgram, ("127.0.0.1", 5000))

    try:
        send("/vj/autopilot/pool", "calm", "bright")
        send("/vj/autopilot/variety", 0.5)
        frame(0.0)
        assert state.autopilot.pool == ("calm", "bright") and state.autopilot.variety == 0.5
        frame(1.0, section(1, "drop"))
        assert state.decks["b"].wanted == "bright"  # the pool's most intense
        send("/vj/style/a", "soft")  # a manual change after beat 2
        frame(1.1, section(1, "drop"))
        assert state.autopilot.suspended_until == pytest.approx(2.0 + 32)  # from the last frame's beat
        assert state.autopilot.describe(state.tempo.position) == "suspended until bar 9"
        frame(8.0, section(2, "breakdown"))  # 8 bars = 16 s have not passed
        assert len(state.autopilot.decisions) == 1
        frame(20.0, section(3, "breakdown"))
        assert [d.slug for d in state.autopilot.decisions] == ["bright", "calm"]
        assert state.autopilot.describe(state.tempo.position) == "on, chose calm for section 3"
        send("/vj/autopilot", 0)
        frame(21.0, section(4, "drop"))
        assert len(state.autopilot.decisions) == 2 and not state.autopilot.enabled
        assert state.autopilot.describe(state.tempo.position) == "off"
        send("/vj/autopilot/variety", 2.0)  # out of range: dropped by the OSC door
        send("/vj/autopilot/pool", "nope")  # unknown style: rejected by the controls
        frame(22.0, section(4, "drop"))
        assert state.autopilot.variety == 0.5 and state.autopilot.pool == ("calm", "bright")
        assert state.counters.rejected == 1
    finally:
        server.close()


BPM = 124.0
BAR = 4 * 60.0 / BPM
DROP_SONG = (("breakdown", 4, "low"), ("drop", 3, "high"))


def test_render_autopilot_switches_style_within_one_bar_of_the_drop(tmp_path):
    need_program("ffmpeg")
    samples, starts = sectioned_song(BPM, sections=DROP_SONG)
    audio = write_wav(tmp_path / "drop.wav", samples)
    result = subprocess.run(
        [sys.executable, "-m", "vjengine", "-v", "render", str(audio), "-o", str(tmp_path / "out.mp4"),
         "--autopilot", "--size", "64x36", "--fps", "20", "-q"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    shown = [(float(t), slug) for t, slug in re.findall(r"([\d.]+) s: showing (\S+)", result.stderr)]
    decisions = re.findall(r"autopilot: section \d+ \((\w+)", result.stderr)
    assert decisions == ["drop"], result.stderr[-2000:]
    (drop,) = starts
    assert len(shown) == 2 and shown[0][1] != shown[1][1]
    assert 0.0 <= shown[1][0] - drop <= BAR, (shown, drop)


def test_live_autopilot_switches_on_the_drop_and_replays_identically(tmp_path):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    from vjengine.model.cppn import CPPN
    from vjengine.styles.store import save_style, style_meta

    for i, slug in enumerate(("first", "second", "third")):
        net = CPPN(seed=70 + i)
        save_style(tmp_path / "styles", slug, net, style_meta(net.config, slug, "p", "seeded-init", 0.0))
    load_or_build(net.config, runners=1)  # replay renders with the compiled kernel: so must the show
    samples, (drop,) = sectioned_song(BPM, sections=DROP_SONG)
    track = write_wav(tmp_path / "drop.wav", samples)
    (tmp_path / "snaps").mkdir()
    engine = LiveEngine(tmp_path, "--input", str(track), "--size", "160x90", "--fps", "20", "--autopilot",
                        "--styles", str(tmp_path / "styles"), "--style", "first",
                        "--journal", str(tmp_path / "show.vjshow"), "--snapshots", str(tmp_path / "snaps"),
                        "--snapshot-every", "10")
    try:
        engine.wait_for(lambda r: r["hops"] * 512 / SAMPLERATE > drop + 2 * BAR, 240, "two bars past the drop")
    finally:
        assert engine.stop() == 0
    records = engine.records()
    drop += records[-1]["silent_hops"] * 512 / SAMPLERATE  # the stream clock ran before the file did
    shown = [(r["hops"] * 512 / SAMPLERATE, r["style_b"] if r["xfade"] >= 0.5 else r["style_a"]) for r in records]
    first_change = next(t for t, slug in shown if slug not in (None, "first"))
    assert 0.0 <= first_change - drop <= BAR, (first_change, drop, engine.log_tail())
    result = subprocess.run([sys.executable, "-m", "vjengine", "replay", str(tmp_path / "show.vjshow"),
                             "-o", str(tmp_path / "replay.mp4"), "--styles", str(tmp_path / "styles"),
                             "--frames-dir", str(tmp_path / "replayed"), "-q"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    compared = 0
    for snap in sorted((tmp_path / "snaps").glob("frame-*.png")):
        live = np.asarray(Image.open(snap)).astype(int)
        if live.max() > 0:
            assert np.array_equal(live, np.asarray(Image.open(tmp_path / "replayed" / snap.name)).astype(int))
            compared += 1
    assert compared > 10


def test_osc_out_announces_each_section_and_energy_class_to_oscdump():
    from tests.test_control_osc import OscDump
    from vjengine.control.oscout import FeatureOut, OscSender

    dump = OscDump()
    out = FeatureOut(OscSender(("127.0.0.1", dump.port)))
    try:
        out.frame(AudioFeatures(t=1.0, energy_class="high"), 1.0)
        out.frame(AudioFeatures(t=9.0, section=1, section_start=8.5, section_kind="breakdown", energy_class="low"),
                  9.0)
        assert dump.wait_for("/vj/out/energy_class")[2] == ['"high"']
        assert dump.wait_for("/vj/out/section")[2] == ["1", "8.500000", '"breakdown"']
        assert dump.wait_for("/vj/out/energy_class")[2] == ['"low"']
        assert out.sender.failed == 0
    finally:
        out.sender.close()
        dump.close()


def test_render_refuses_autopilot_with_a_second_style_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "vjengine", "render", str(tmp_path / "song.wav"), "-o",
                             str(tmp_path / "out.mp4"), "--autopilot", "--style-b", "acid-plasma"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "vjengine: --autopilot chooses the styles itself: leave out --style-b"
    assert not (tmp_path / "out.mp4").exists()
