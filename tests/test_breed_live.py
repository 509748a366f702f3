"""Breed mode in `vjengine run` over real OSC: on, pick, save; the bred style loads like any other."""

import socket
import time
import tomllib

from pythonosc.osc_message_builder import OscMessageBuilder

from tests.live import LiveEngine, need_display_and_pulse
from tests.test_osc_live import ENGINE_ARGS, free_udp_port


def send(port: int, address: str, *values) -> None:
    builder = OscMessageBuilder(address)
    for value in values:
        builder.add_arg(value)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.sendto(builder.build().dgram, ("127.0.0.1", port))


def test_breed_pick_and_save_over_osc_make_a_loadable_style_with_its_lineage(make_style, tmp_path):
    need_display_and_pulse()
    make_style("parent", seed=21)
    make_style("other", seed=22)
    styles = tmp_path / "styles"
    port = free_udp_port()
    engine = LiveEngine(tmp_path, *ENGINE_ARGS, "--backend", "cpu", "--styles", str(styles),
                        "--style", "parent", "--style-b", "other", "--osc-port", str(port))
    try:
        engine.wait_for(lambda r: r.get("frames", 0) > 10 and r["style_b"] == "other", 240,
                        "both decks loaded")
        engine.key("b")  # breed mode on
        engine.wait_for(lambda r: r["control"].get("breed") == "gen 0 of parent x other, strength 0.2", 10,
                        "breed mode on in the telemetry")
        send(port, "/vj/breed/strength", 0.4)
        send(port, "/vj/breed/pick", 2)
        send(port, "/vj/breed/pick", 9)
        engine.wait_for(lambda r: r["control"]["osc_accepted"] >= 3, 10, "the breed messages taken")
        engine.key("3")  # picks while breeding
        before = engine.wait_for(lambda r: r["control"].get("breed", "").startswith("gen 3 "), 10,
                                 "key 3 handled")
        time.sleep(2.0)  # the grid keeps drawing: nine children a frame on the CPU path
        during = engine.last()
        fps = (during["frames"] - before["frames"]) / (during["t"] - before["t"])
        assert fps >= 5, fps
        send(port, "/vj/breed/save", "bred")
        saved = styles / "bred" / "style.toml"
        deadline = time.monotonic() + 10
        while not saved.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        meta = tomllib.loads(saved.read_text())
        assert meta["method"] == "breed"
        lineage = meta["breed"]
        assert (lineage["parent"], lineage["mate"], lineage["generation"], lineage["picks"]) == \
               ("parent", "other", 3, [2, 9, 3])
        assert lineage["strength"] == 0.4
        send(port, "/vj/breed", 0)
        send(port, "/vj/style/a", "bred")
        record = engine.wait_for(lambda r: r["style_a"] == "bred", 30, "the bred style on deck A")
        assert "breed" not in record["control"]  # off again
        assert record["control"]["control_rejected"] == 0 and record["control"]["control_style_failures"] == 0
        assert not record["errors"].get("frame")
    finally:
        assert engine.stop() == 0
    print(f"breed grid, CPU backend: {fps:.1f} frames/s, cppn {during['stages_ms']['cppn']} ms "
          f"at {during['internal']} internal")
