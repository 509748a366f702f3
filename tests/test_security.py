"""Security defaults: loopback OSC, a sender allowlist, no code run on load, names kept in their folders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from vjengine.clock import ManualClock
from vjengine.control import events
from vjengine.control.events import ControlBus, ControlEvent
from vjengine.control.osc import OscServer
from vjengine.control.presets import PresetLibrary
from vjengine.control.state import ControlState
from vjengine.errors import InputError
from vjengine.styles.store import StyleError, find_style

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parent.parent / "vjengine"
ESCAPES = ["../../x", "../x", "../../etc", "/etc/passwd", "a/../../b", "..", "x\\..\\y", "%2e%2e",
           "club\n", "club\n/../x"]  # "$" in a pattern also matches before a final newline


def osc(address: str, *values) -> bytes:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value)
    return builder.build().dgram


def test_osc_listens_on_loopback_unless_told_otherwise():
    server = OscServer(ControlBus(), ManualClock(), lambda: ControlState().snapshot, port=0)
    try:
        assert server.host == "127.0.0.1"
    finally:
        server.close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "stage-laptop.local"])
def test_opening_osc_to_the_network_needs_an_allowlist(host):
    with pytest.raises(InputError, match=rf"^--osc-host {host}: .* needs --osc-allow"):
        OscServer(ControlBus(), ManualClock(), lambda: ControlState().snapshot, host=host, port=0)


def test_an_open_port_with_an_allowlist_listens_on_every_interface():
    server = OscServer(ControlBus(), ManualClock(), lambda: ControlState().snapshot, host="0.0.0.0",
                       port=0, allow=("0.0.0.0/0",))
    try:
        assert server.host == "0.0.0.0"
    finally:
        server.close()


def test_an_allowlist_drops_every_other_sender_before_parsing():
    bus = ControlBus()
    server = OscServer(bus, ManualClock(), lambda: ControlState().snapshot, host="127.0.0.1", port=0,
                       allow=("192.168.1.0/24",))
    try:
        server.feed(osc("/vj/param/zoom", 1.0), ("10.0.0.5", 9000))
        server.feed(osc("/vj/param/zoom", 1.0), ("192.168.1.20", 9000))
        assert server.counters.not_allowed == 1 and len(bus.drain()) == 1
    finally:
        server.close()


def test_a_forged_sender_cannot_aim_replies_at_a_third_party_or_at_the_engine():
    server = OscServer(ControlBus(), ManualClock(), lambda: ControlState().snapshot, port=0,
                       feedback=("127.0.0.1", 9001))
    try:
        server.feed(osc("/vj/state", 53), ("192.0.2.7", 4444))  # "reply to my port 53"
        server.feed(osc("/vj/get/zoom", server.port), ("127.0.0.1", 5000))  # "reply to the engine"
        server.feed(osc("/vj/state"), ("127.0.0.1", server.port))  # forged as the engine itself
        counts = server.counters
        assert (counts.reply_refused, counts.echo, counts.replies, counts.accepted) == (2, 1, 0, 0)
    finally:
        server.close()


@pytest.mark.parametrize("address", ["/vj/preset", "/vj/preset/save", "/vj/style/a", "/vj/style/b",
                                     "/vj/transition", "/vj/learn/save"])
@pytest.mark.parametrize("name", ESCAPES)
def test_names_from_osc_that_would_leave_their_folder_are_dropped(address, name):
    bus = ControlBus()
    server = OscServer(bus, ManualClock(), lambda: ControlState().snapshot, port=0)
    try:
        server.feed(osc(address, name), ("127.0.0.1", 9000))
        assert server.counters.bad_name == 1 and bus.drain() == []
    finally:
        server.close()


@pytest.mark.parametrize("name", ESCAPES)
def test_names_reaching_the_state_by_any_door_cannot_leave_their_folder(tmp_path, name):
    presets = tmp_path / "presets"
    presets.mkdir()
    (tmp_path / "x.toml").write_text('name = "outside"')
    state = ControlState(presets=PresetLibrary(presets))
    for target, value in ((events.PRESET, name), (events.PRESET_SAVE, name), (events.STYLE_A, name),
                          (events.STYLE_B, name), (events.TRANSITION, (name, 1.0))):
        state.handle(ControlEvent(target, value, "midi:pad"))
    assert state.counters.preset_errors + state.counters.rejected == 5
    assert state.wanted_styles() == () and state.scenes.preset == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["presets", "x.toml"]
    with pytest.raises(StyleError):
        find_style(tmp_path / "styles", name)


def test_nothing_in_the_engine_runs_code_from_a_file():
    """Styles are safetensors + TOML, presets and maps TOML: no pickle, eval, exec or torch.load."""
    forbidden = re.compile(r"\bimport pickle\b|\bpickle\.|(?<![.\w])eval\(|(?<![.\w])exec\(|torch\.load\(|"
                           r"yaml\.load\(|marshal\.loads|__import__\(")
    hits = [f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}"
            for path in PACKAGE.rglob("*.py")
            for n, line in enumerate(path.read_text().splitlines(), 1) if forbidden.search(line)]
    assert hits == []
