"""The OSC abuse of the show-proof report against `vjengine run` itself: frames keep coming."""

import socket
import subprocess
import time

from pythonosc.osc_message_builder import OscMessageBuilder

from tests.conftest import need_program
from tests.live import LiveEngine, need_display_and_pulse

ENGINE_ARGS = ("--input", "pulse", "--size", "320x180", "--fps", "30", "--render-scale", "0.25")
BRACES = "/" + "{,}" * 24 + "X"  # one 84-byte datagram froze the show for 77 s


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pattern_floods_and_queries_at_the_engine_itself_leave_the_show_running(make_style, tmp_path):
    need_display_and_pulse()
    oscsend = need_program("oscsend")
    make_style("first", seed=20)
    port = free_udp_port()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--styles", str(tmp_path / "styles"), "--osc-port", str(port))
    try:
        before = engine.wait_for(lambda r: r.get("frames", 0) > 10, 240, "rendering frames")
        source = before["tempo_source"]
        for _ in range(3):  # the report's commands, through liblo
            subprocess.run([oscsend, "localhost", str(port), BRACES, "f", "0.5"], check=True, timeout=5)
        subprocess.run([oscsend, "localhost", str(port), "/vj/state", "i", str(port)], check=True, timeout=5)
        start, sent = time.monotonic(), 4
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            datagram = OscMessageBuilder(BRACES).build().dgram
            while time.monotonic() - start < 3.0:  # about 200 a second of the pathological pattern
                client.sendto(datagram, ("127.0.0.1", port))
                sent += 1
                time.sleep(1 / 200)
        record = engine.wait_for(lambda r: r["control"].get("osc_packets", 0) >= sent, 10, "the flood counted")
        frames = record["frames"] - before["frames"]
        seconds = record["t"] - before["t"]
        assert frames >= 0.5 * 30 * seconds, (frames, seconds)  # was 13 frames in 77 s
        control = record["control"]
        assert control["osc_unknown_address"] == control["osc_packets"] - 1 and control["osc_errors"] == 0
        assert control["osc_reply_refused"] == 1 and control["osc_replies"] == 0
        assert record["tempo_source"] == source  # the engine's own state never took the tempo
        stopping = time.monotonic()
    finally:
        assert engine.stop() == 0
    assert time.monotonic() - stopping < 10  # Esc took 73 s
