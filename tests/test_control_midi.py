"""MIDI door: JACK MIDI (jackd dummy) with jack_midiseq and a clock-sending process as peers; maps."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import mido
import pytest
from conftest import need_program, need_real

from vjengine.audio.features import AudioFeatures
from vjengine.clock import PerfClock
from vjengine.control import events
from vjengine.control.events import ControlEvent
from vjengine.control.midi import MidiInput, parse, to_event
from vjengine.control.midimap import MidiMapLibrary, MidiMapper, map_from_table, parse_action
from vjengine.control.params import SPECS
from vjengine.control.presets import PresetError, PresetLibrary
from vjengine.control.state import ControlState

SHIPPED_MAPS = Path(__file__).resolve().parent.parent / "presets" / "midi"
JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"  # mido, for the test's own controller ports
TIMEOUT = 8.0
RESCAN = 0.2


@pytest.fixture(scope="module")
def jack() -> mido.Backend:
    """The JACK MIDI backend, with a running server (skip, or fail under VJ_REQUIRE_REAL=1)."""
    jack_lsp = need_program("jack_lsp")
    running = subprocess.run([jack_lsp], capture_output=True, timeout=10).returncode == 0
    need_real(running, "a running JACK server (jackd)")
    return mido.Backend(JACK_BACKEND, load=True)


class Rig:
    """A ControlState fed by a MidiInput on ports named with `token`, frames pumped by hand."""

    def __init__(self, token: str, maps: Path = SHIPPED_MAPS, presets: Path | None = None):
        self.clock = PerfClock()
        self.state = ControlState(presets=PresetLibrary(presets) if presets else None,
                                  midi=MidiMapper(MidiMapLibrary(maps)))
        self.input = MidiInput([token], self.clock, "jack", rescan_seconds=RESCAN)
        self.input.start()

    def wait_open(self, count: int = 1) -> None:
        deadline = time.monotonic() + TIMEOUT
        while len(self.input.open_ports) < count:
            assert time.monotonic() < deadline, f"MIDI ports never opened: {self.input.counters}"
            time.sleep(0.02)

    def frame(self):
        for event in self.input.iter_pending():
            self.state.handle(event)
        return self.state.update(self.clock.now(), AudioFeatures())

    def until(self, condition, what: str, resend=None):
        """Frames until condition(frame); resend() every half second meanwhile, as a fader that
        is still moving does (a message sent while JACK is still connecting a port is lost)."""
        deadline = time.monotonic() + TIMEOUT
        next_send = time.monotonic() + 0.5
        while True:
            frame = self.frame()
            if condition(frame):
                return frame
            assert time.monotonic() < deadline, f"never happened: {what}"
            if resend is not None and time.monotonic() >= next_send:
                resend()
                next_send += 0.5
            time.sleep(1 / 60)

    def close(self):
        self.input.close()


def cc(port: mido.ports.BaseOutput, control: int, value: int):
    """A function sending one control change, for a test to call again like a moving fader."""
    return lambda: port.send(mido.Message("control_change", control=control, value=value))


def token() -> str:
    return f"vjtest{uuid.uuid4().hex[:8]}"


def test_a_cc_moves_its_parameter_per_the_shipped_map(jack):
    name = token()
    controller = jack.open_output(f"{name} nanoKONTROL2", virtual=True)
    rig = Rig(name)
    try:
        rig.wait_open()
        def move():
            controller.send(mido.Message("control_change", control=2, value=127))  # fader 3: zoom
            controller.send(mido.Message("control_change", control=16, value=0))  # knob 1: spin

        move()
        rig.until(lambda f: rig.state.params.target["zoom"] == SPECS["zoom"].hi, "fader 3 -> zoom", move)
        assert rig.state.params.target["spin"] == SPECS["spin"].lo
        rig.state.scenes.slots = ("first", "second")
        press = cc(controller, 33, 127)  # S button 2
        press()
        rig.until(lambda f: "second" in rig.state.wanted_styles(), "S button 2 -> slot 2", press)
        assert rig.input.counters.errors == 0
    finally:
        rig.close()
        controller.close()


def test_a_note_from_jack_midiseq_selects_a_style_slot(jack):
    sequencer = need_program("jack_midiseq")
    name = token()
    # a half-second loop at 44.1 kHz playing note 37, which the generic map sends to slot 2
    peer = subprocess.Popen([sequencer, name, "22050", "0", "37", "2000"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    rig = Rig(name)
    try:
        rig.state.scenes.slots = ("first", "second", "third")
        rig.wait_open()
        assert rig.input.open_ports == [f"{name}:out"]
        rig.until(lambda f: rig.state.wanted_styles() == ("second",), "note 37 -> slot 2")
        rig.state.style_loaded("second")
        frame = rig.until(lambda f: f.style_b == "second", "slot 2's style on deck B")
        assert frame.params["xfade"] == 1.0  # nothing on deck A: deck B shows at once
    finally:
        rig.close()
        peer.terminate()
        peer.wait(timeout=TIMEOUT)


def test_midi_learn_binds_the_next_cc_and_saves_the_map(jack, tmp_path):
    maps = tmp_path / "midi"
    maps.mkdir()
    shutil.copy(SHIPPED_MAPS / "generic.toml", maps)
    name = token()
    controller = jack.open_output(name, virtual=True)
    rig = Rig(name, maps=maps, presets=tmp_path)
    try:
        rig.wait_open()
        rig.state.handle(ControlEvent(events.LEARN, "pan_y"))
        rig.frame()
        assert rig.state.snapshot.learning == "pan_y"
        up, down = cc(controller, 99, 127), cc(controller, 99, 0)
        up()
        rig.until(lambda f: rig.state.params.target["pan_y"] == SPECS["pan_y"].hi, "learned CC 99", up)
        assert rig.state.snapshot.learning is None
        down()
        rig.until(lambda f: rig.state.params.target["pan_y"] == SPECS["pan_y"].lo, "CC 99 again", down)
        rig.state.handle(ControlEvent(events.LEARN_SAVE, "my-controller"))
        saved = MidiMapLibrary(maps).load("my-controller")
        assert saved.cc[99] == "pan_y" and saved.cc[21] == "speed"  # learned + the generic map
    finally:
        rig.close()
        controller.close()


CLOCK_PEER = textwrap.dedent("""
    import os, sys, time, mido
    try:  # keep time like a hardware clock, even on a busy machine (needs root or CAP_SYS_NICE)
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
    except PermissionError:
        pass
    port = mido.Backend(sys.argv[1]).open_output(sys.argv[2], virtual=True)
    print("ready", flush=True)
    sys.stdin.readline()
    period = 60.0 / (float(sys.argv[3]) * 24)
    port.send(mido.Message("start"))
    start = time.perf_counter()
    for tick in range(int(float(sys.argv[4]) / period)):
        delay = start + tick * period - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        port.send(mido.Message("clock"))
    port.send(mido.Message("stop"))
    print("stopped", flush=True)
    sys.stdin.readline()
""")


def test_midi_clock_at_128_bpm_gives_the_tempo_within_one_percent(jack):
    name = token()
    peer = subprocess.Popen([sys.executable, "-c", CLOCK_PEER, JACK_BACKEND, name, "128", "5.0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    rig = Rig(name)
    try:
        assert peer.stdout.readline().strip() == "ready"
        rig.state.handle(ControlEvent(events.TEMPO, 90.0))  # a manual tempo, outranked by the clock
        rig.wait_open()
        peer.stdin.write("go\n")
        peer.stdin.flush()
        rig.until(lambda f: f.features.tempo_source == "midi", "MIDI clock leads the tempo")
        frames = []  # (time, frame) over six beats
        while not frames or frames[-1][1].position < frames[0][1].position + 6:
            assert len(frames) < 8 * 60, "six beats of MIDI clock never came"
            frames.append((rig.clock.now(), rig.frame()))
            time.sleep(1 / 60)
        assert {f.features.tempo_source for _, f in frames} == {"midi"}
        shown = sorted(f.features.bpm for _, f in frames)
        assert abs(shown[len(shown) // 2] - 128.0) / 128.0 < 0.01  # the tempo the HUD shows
        (t0, first), (t1, last) = frames[0], frames[-1]
        beat_rate = 60.0 * (last.position - first.position) / (t1 - t0)
        assert abs(beat_rate - 128.0) / 128.0 < 0.01  # the show's beat runs at the clock's tempo
        assert peer.stdout.readline().strip() == "stopped"
        frame = rig.until(lambda f: f.features.tempo_source != "midi", "Stop hands tempo back")
        assert frame.features.tempo_source == "osc" and frame.features.bpm == 90.0
    finally:
        rig.close()
        peer.kill()
        peer.wait(timeout=TIMEOUT)


def test_ports_that_come_and_go_are_reopened(jack):
    name = token()
    rig = Rig(name)
    try:
        assert rig.input.wait_scanned(TIMEOUT) and rig.input.open_ports == []
        controller = jack.open_output(name, virtual=True)
        rig.wait_open()
        controller.close()
        deadline = time.monotonic() + TIMEOUT
        while rig.input.open_ports:
            assert time.monotonic() < deadline, "a vanished port stayed open"
            time.sleep(0.02)
        controller = jack.open_output(name, virtual=True)
        rig.wait_open()
        turn = cc(controller, 22, 127)  # the generic map's zoom knob
        turn()
        rig.until(lambda f: rig.state.params.target["zoom"] == SPECS["zoom"].hi, "CC after replug", turn)
        controller.close()
    finally:
        rig.close()


def test_truncated_and_malformed_bytes_from_a_jack_peer_are_counted_not_raised(jack):
    import rtmidi

    name = token()
    peer = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name)
    peer.open_virtual_port("out")
    rig = Rig(name)
    try:
        rig.wait_open()
        hostile = [[0xF2], [0xF1], [0xF2, 5], [0x90, 200, 1], [0xB0, 7], [0xF4]]

        def send():
            for data in hostile:
                peer.send_message(data)
            peer.send_message([0xB0, 22, 127])  # the generic map's zoom knob

        send()
        rig.until(lambda f: rig.state.params.target["zoom"] == SPECS["zoom"].hi, "a CC after garbage", send)
        assert rig.input.counters.ignored >= len(hostile) and rig.input.counters.errors == 0
    finally:
        rig.close()
        peer.delete()


@pytest.mark.skipif(Path("/dev/snd/seq").exists(), reason="ALSA's sequencer exists here")
def test_an_unavailable_midi_system_is_counted_not_raised():
    midi = MidiInput(["anything"], PerfClock(), "alsa")
    midi.scan()
    midi.scan()
    assert midi.counters.errors == 2 and midi.open_ports == [] and list(midi.iter_pending()) == []


@pytest.mark.unit
@pytest.mark.parametrize("data", [[0xF2], [0xF1], [0xF2, 1], [], [0xF0, 1], [0x90, 128, 1], [0xF8, 0]])
def test_bytes_mido_cannot_parse_are_no_event(data):
    assert parse("pad", data, 1.0) is None


@pytest.mark.unit
def test_messages_become_raw_events_and_unused_types_are_skipped():
    port = "pad"
    assert to_event(port, mido.Message("control_change", channel=3, control=7, value=64), 2.0) == \
        ControlEvent(events.MIDI_CC, (port, 3, 7, 64), "midi:pad", 2.0)
    assert to_event(port, mido.Message("note_on", note=36, velocity=90), 1.0).target == events.MIDI_NOTE
    assert to_event(port, mido.Message("note_on", note=36, velocity=0), 1.0) is None
    assert to_event(port, mido.Message("pitchwheel", pitch=100), 1.0) is None
    kinds = ("clock", "start", "stop", "continue")
    realtime = [to_event(port, mido.Message(kind), 1.0).target for kind in kinds]
    assert realtime == [events.MIDI_CLOCK, events.MIDI_START, events.MIDI_STOP, events.MIDI_CONTINUE]


@pytest.mark.unit
def test_shipped_maps_cover_the_documented_controls():
    maps = dict(MidiMapLibrary(SHIPPED_MAPS).entries())
    assert set(maps) == {"nanokontrol2", "launchcontrol-xl", "apc-mini", "generic"}
    assert all(not isinstance(m, PresetError) for m in maps.values())
    assert set(range(0, 8)) | set(range(16, 24)) <= set(maps["nanokontrol2"].cc)
    assert set(range(77, 85)) | set(range(13, 21)) <= set(maps["launchcontrol-xl"].cc)
    assert set(range(48, 57)) <= set(maps["apc-mini"].cc)
    assert maps["generic"].match == () and set(maps["generic"].cc.values()) == set(SPECS)


def raw(target: str, port: str, number: int, value: int, channel: int = 0) -> ControlEvent:
    return ControlEvent(target, (port, channel, number, value), f"midi:{port}", 1.0)


@pytest.mark.unit
def test_mapper_picks_maps_by_port_name_and_filters_channel_and_button_presses(tmp_path):
    (tmp_path / "pads.toml").write_text(
        'name = "Pads"\nmatch = ["PadBox"]\nchannel = 10\n[cc]\n7 = "hue"\n'
        '[buttons]\n8 = "preset club"\n[notes]\n36 = "tap"\n')
    shutil.copy(SHIPPED_MAPS / "generic.toml", tmp_path)
    mapper = MidiMapper(MidiMapLibrary(tmp_path))
    assert mapper.translate(raw(events.MIDI_CC, "PadBox MIDI 1", 7, 127, channel=9)) == [
        ControlEvent("param/hue", 1.0, "midi:PadBox MIDI 1", 1.0)]
    assert mapper.translate(raw(events.MIDI_CC, "PadBox MIDI 1", 7, 127, channel=0)) == []
    assert mapper.translate(raw(events.MIDI_CC, "PadBox MIDI 1", 8, 10, channel=9)) == []  # release
    assert mapper.translate(raw(events.MIDI_CC, "PadBox MIDI 1", 8, 127, channel=9))[0].value == "club"
    assert mapper.translate(raw(events.MIDI_NOTE, "PadBox MIDI 1", 36, 100, channel=9))[0].target == "tap"
    assert mapper.translate(raw(events.MIDI_CC, "Other keyboard", 22, 0))[0].target == "param/zoom"


@pytest.mark.unit
@pytest.mark.parametrize("table, message", [
    ({"cc": {"7": "volume"}}, "'volume' is not a parameter"),
    ({"cc": {"7": ["zoom"]}}, "['zoom'] is not a parameter"),
    ({"cc": {"200": "hue"}}, "expected a MIDI number 0..127"),
    ({"cc": {"²": "hue"}}, "key '²': expected a MIDI number 0..127"),
    ({"notes": {"1" * 5000: "tap"}}, "expected a MIDI number 0..127"),
    ({"notes": {"36": "slot ²"}}, "action 'slot ²'"),
    ({"notes": {"36": "slot 10"}}, "action 'slot 10'"),
    ({"notes": {"36": "preset ../x"}}, "action 'preset ../x'"),
    ({"channel": 0}, "channel 0: expected 1..16"),
    ({"cc": {"7": "hue"}, "buttons": {"7": "tap"}}, "CCs [7] are in both"),
    ({"knobs": {}}, "unknown keys ['knobs']"),
])
def test_bad_map_tables_give_one_line_errors(table, message):
    with pytest.raises(PresetError) as error:
        map_from_table(table, "presets/midi/x.toml")
    assert message in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith("presets/midi/x.toml")


@pytest.mark.unit
def test_a_bad_map_file_is_skipped_and_counted(tmp_path):
    (tmp_path / "broken.toml").write_text("cc = [")
    shutil.copy(SHIPPED_MAPS / "generic.toml", tmp_path)
    mapper = MidiMapper(MidiMapLibrary(tmp_path))
    assert mapper.errors == 1 and [name for name, _ in mapper.maps] == ["generic"]


@pytest.mark.unit
def test_map_names_cannot_leave_their_folder(tmp_path):
    library = MidiMapLibrary(tmp_path / "midi")
    for name in ("../presets", "/etc/passwd", "a/b", "", "UPPER"):
        with pytest.raises(PresetError):
            library.path(name)
    state = ControlState(midi=MidiMapper(library))
    state.handle(ControlEvent(events.LEARN_SAVE, "../escape"))
    assert state.counters.preset_errors == 1 and not list(tmp_path.rglob("*.toml"))


@pytest.mark.unit
def test_learn_of_an_unknown_parameter_is_rejected():
    state = ControlState(midi=MidiMapper(MidiMapLibrary(SHIPPED_MAPS)))
    state.handle(ControlEvent(events.LEARN, "volume"))
    assert state.counters.rejected == 1 and state.midi.learning is None


@pytest.mark.unit
def test_actions_parse_to_events():
    assert parse_action("slot 9", "x") == ControlEvent(events.SLOT, 9)
    assert parse_action("preset drop", "x") == ControlEvent(events.PRESET, "drop")
    assert parse_action("tempo auto", "x") == ControlEvent(events.TEMPO, 0.0)
