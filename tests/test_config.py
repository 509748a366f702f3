"""EngineConfig from TOML: defaults, tables, paths, and one-line errors for bad files."""

from pathlib import Path

import pytest

from vjengine.config import AudioConfig, EngineConfig, RenderConfig
from vjengine.errors import InputError

pytestmark = pytest.mark.unit


def test_an_empty_file_gives_the_defaults(tmp_path):
    path = tmp_path / "engine.toml"
    path.write_text("")
    assert EngineConfig.from_toml(path) == EngineConfig()


def test_tables_and_top_level_keys_override_the_defaults(tmp_path):
    path = tmp_path / "engine.toml"
    path.write_text('style_a = "neon-rings"\njournal = "shows/tonight.vjshow"\nsnapshot_every = 30\n'
                    '[audio]\ninput = "Scarlett"\nchannel = 2\n'
                    '[render]\nsize = [1920, 1080]\nfps = 50.0\nfullscreen = true\n'
                    '[params]\nzoom = 2\ntrails = 0.5\n')
    config = EngineConfig.from_toml(path)
    assert config.params == {"zoom": 2.0, "trails": 0.5}
    assert config.audio == AudioConfig(input="Scarlett", channel=2)
    assert config.render == RenderConfig(size=(1920, 1080), fps=50.0, fullscreen=True)
    assert config.style_a == "neon-rings" and config.snapshot_every == 30
    assert config.journal == Path("shows/tonight.vjshow") and isinstance(config.journal, Path)


@pytest.mark.parametrize(("text", "expected"), [
    ("[render]\nframerate = 60", "unknown keys in [render]: ['framerate']"),
    ("render = 3", "unknown keys in [render]: ['(not a table)']"),
    ("volume = 11", "unknown key 'volume'"),
    ("[params]\nvolume = 11", "unknown parameter 'volume' in [params]"),
    ("[params]\nzoom = \"big\"", "[params] zoom = 'big': expected a finite number"),
    ("[params]\nzoom = inf", "[params] zoom = inf: expected a finite number"),
    ("params = 1", "[params] must be a table"),
    ("[audio\ninput = 1", "unreadable config"),
    ("[render]\nfps = 0", "[render] fps = 0: expected a number from 1 to 240"),
    ("[render]\nfps = nan", "[render] fps = nan"),
    ("[render]\nfps = \"fast\"", "[render] fps = 'fast'"),
    ("[render]\nsize = \"big\"", "[render] size = 'big'"),
    ("[render]\nsize = [1280, 720, 3]", "[render] size"),
    ("[render]\nfullscreen = \"yes\"", "[render] fullscreen = 'yes': expected true or false"),
    ("[render]\nbackend = 3", "[render] backend = 3: expected str"),
    ("[audio]\nsamplerate = 0", "[audio] samplerate = 0"),
    ("[audio]\nsamplerate = 44100.5", "[audio] samplerate = 44100.5: expected a whole number"),
    ("[audio]\ngain = inf", "[audio] gain = inf"),
    ("[audio]\nchannel = true", "[audio] channel = True"),
    ("journal = 3", "journal = 3: expected"),
    ("frames = -1", "frames = -1"),
    ("style_a = [1]", "style_a = [1]: expected str"),
    ("a = " + "[" * 5000 + "]" * 5000, "nested too deeply"),
    ("x = " + "{y=" * 3000 + "1" + "}" * 3000, "nested too deeply"),
    ("# " + "x" * (70 << 10), "larger than 64 KiB"),
])
def test_a_bad_file_is_one_line_naming_it(tmp_path, text, expected):
    path = tmp_path / "engine.toml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        EngineConfig.from_toml(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message, message


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(InputError, match="missing.toml: unreadable config"):
        EngineConfig.from_toml(tmp_path / "missing.toml")


def test_whole_numbers_are_accepted_where_a_number_is_expected(tmp_path):
    path = tmp_path / "engine.toml"
    path.write_text("[render]\nfps = 50\n[audio]\ngain = 2\ninput = 3\n")
    config = EngineConfig.from_toml(path)
    assert config.render.fps == 50.0 and isinstance(config.render.fps, float)
    assert config.audio.gain == 2.0 and config.audio.input == "3"
