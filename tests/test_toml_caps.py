"""TOML files are capped before parsing, and presets loaded mid-show are parsed off the render thread."""

import os
import subprocess
import time

import pytest

from tests.conftest import need_program, need_real
from tests.live import LiveEngine
from vjengine.control.presets import PresetError, PresetLibrary, Scene, write_toml
from vjengine.styles.store import STYLE_FILE, StyleError, load_style
from vjengine.tomlfile import MAX_BYTES, parse_small_toml

DEEP_DOTTED = ("a" + ".a" * 4000 + " = 1\n").encode()  # parses for over a second uncapped
MANY_DOTTED = "".join(f"x.k{i} = {i}\n" for i in range(7000)).encode()  # 64 KB, as in the report


@pytest.mark.unit
@pytest.mark.parametrize("raw", [DEEP_DOTTED, MANY_DOTTED, b"#" * (MAX_BYTES + 1)], ids=["deep", "64k", "size"])
def test_hostile_toml_is_refused_before_parsing(raw):
    started = time.perf_counter()
    with pytest.raises(ValueError, match="limit|dots"):
        parse_small_toml(raw)
    assert time.perf_counter() - started < 0.05


@pytest.mark.unit
def test_a_deep_dotted_style_toml_is_one_line_and_quick(make_style):
    folder = make_style("deep").folder
    (folder / STYLE_FILE).write_bytes(DEEP_DOTTED)
    started = time.perf_counter()
    with pytest.raises(StyleError) as info:
        load_style(folder)
    assert time.perf_counter() - started < 0.5
    assert str(info.value).startswith(str(folder / STYLE_FILE)) and "\n" not in str(info.value)


@pytest.mark.unit
def test_a_watched_library_never_reads_a_file_in_load(tmp_path):
    library = PresetLibrary(tmp_path)
    write_toml(tmp_path / "calm.toml", {"name": "calm", "params": {"zoom": 1.5}})
    library.watch()
    try:
        (tmp_path / "calm.toml").write_bytes(DEEP_DOTTED)
        (tmp_path / "new.toml").write_text('name = "new"\n')
        assert library.load("calm") == Scene(name="calm", params={"zoom": 1.5})  # what the watcher parsed
        with pytest.raises(PresetError):
            library.load("new")  # not parsed yet: refused, not read here
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                library.load("calm")
            except PresetError as exc:
                assert "dots" in str(exc)
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the watcher never re-parsed the changed preset")
        assert library.load("new") == Scene(name="new")
        library.save("saved", Scene(name="saved"))
        assert library.load("saved") == Scene(name="saved")
    finally:
        library.close()


def test_a_64k_dotted_preset_over_osc_never_stalls_the_show(make_style, tmp_path):
    need_real(bool(os.environ.get("DISPLAY")), "an X display (Xvfb) in $DISPLAY")
    oscsend = need_program("oscsend")
    make_style("first", seed=2)
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "huge.toml").write_bytes(MANY_DOTTED)
    write_toml(presets / "calm.toml", {"params": {"zoom": 1.7}})
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    engine = LiveEngine(tmp_path, "--styles", str(tmp_path / "styles"), "--presets", str(presets),
                        "--size", "160x90", "--fps", "30", "--osc-port", str(port))
    try:
        engine.wait_for(lambda r: r["frames"] > 30, 240, "rendering")
        sent = len(engine.records())
        for name in ("huge", "calm"):
            subprocess.run([oscsend, "localhost", str(port), "/vj/preset", "s", name], check=True)
        record = engine.wait_for(lambda r: r["params"]["zoom"] > 1.6, 30, "the calm preset applied")
        assert record["control"]["control_preset_errors"] == 1
        time.sleep(1.0)
        frames = [ms for r in engine.records()[sent:] for ms in r["frame_ms"]]
        assert len(frames) > 20 and max(frames) < 500, max(frames)
    finally:
        assert engine.stop() == 0
