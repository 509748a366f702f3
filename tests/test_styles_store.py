"""Style folders: save -> load round trip, and a one-line error naming the file for each corruption."""

import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from vjengine.model import conditioning, coords
from vjengine.model.cppn import CPPNConfig
from vjengine.styles.store import (StyleError, check_slug, list_styles, load_style, save_style,
                                   style_meta)

pytestmark = pytest.mark.unit


def test_save_then_load_gives_identical_pixels(make_style):
    style = make_style("roundtrip", seed=4, config=CPPNConfig(width=64, depth=3, frequency=1.5))
    again = load_style(style.folder)
    grid, cond = coords.grid(24, 16), conditioning.sample(2)
    assert torch.equal(style.model()(grid, cond), again.model()(grid, cond))
    assert again.config == CPPNConfig(width=64, depth=3, frequency=1.5)
    assert again.meta["method"] == "seeded-init" and again.content_hash == style.content_hash


@pytest.fixture
def folder(make_style, tmp_path):
    return make_style("victim", seed=2).folder


def expect_error(folder, file_name, fragment):
    with pytest.raises(StyleError) as info:
        load_style(folder)
    message = str(info.value)
    assert "\n" not in message
    assert file_name in message and fragment in message, message


def test_missing_weights(folder):
    (folder / "weights.safetensors").unlink()
    expect_error(folder, "weights.safetensors", "missing")


def test_missing_toml(folder):
    (folder / "style.toml").unlink()
    expect_error(folder, "style.toml", "missing")


def test_unreadable_toml(folder):
    (folder / "style.toml").write_text("schema = 1\nname = [unclosed\n")
    expect_error(folder, "style.toml", "unreadable TOML")


def test_unknown_schema_version(folder):
    text = (folder / "style.toml").read_text().replace("schema = 1", "schema = 99")
    (folder / "style.toml").write_text(text)
    expect_error(folder, "style.toml", "unknown schema version 99")


def test_config_does_not_match_tensor_shapes(folder):
    text = (folder / "style.toml").read_text().replace("width = 128", "width = 64")
    (folder / "style.toml").write_text(text)
    expect_error(folder, "weights.safetensors", "shape")


def test_nan_weights(folder):
    tensors = load_style(folder).weights
    tensors["hidden.2.weight"][3, 5] = math.nan
    save_file(tensors, str(folder / "weights.safetensors"))
    expect_error(folder, "weights.safetensors", "NaN")


def test_infinite_weights(folder):
    tensors = load_style(folder).weights
    tensors["out.bias"][0] = math.inf
    save_file(tensors, str(folder / "weights.safetensors"))
    expect_error(folder, "weights.safetensors", "infinite")


def test_truncated_weights(folder):
    path = folder / "weights.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    expect_error(folder, "weights.safetensors", "not a readable safetensors file")


def test_pickle_in_place_of_safetensors_is_refused(folder):
    (folder / "weights.safetensors").write_bytes(b"\x80\x04\x95" + b"\x00" * 64)
    expect_error(folder, "weights.safetensors", "not a readable safetensors file")


def test_missing_tensor(folder):
    tensors = load_style(folder).weights
    del tensors["out.weight"]
    save_file(tensors, str(folder / "weights.safetensors"))
    expect_error(folder, "weights.safetensors", "missing ['out.weight']")


def test_wrong_conditioning_layout(folder):
    text = (folder / "style.toml").read_text().replace(conditioning.LAYOUT_NAME, "other-layout")
    (folder / "style.toml").write_text(text)
    expect_error(folder, "style.toml", "conditioning layout 'other-layout' unsupported")


def test_weights_behind_a_symlink_are_refused(folder, tmp_path):
    target = tmp_path / "elsewhere.safetensors"
    (folder / "weights.safetensors").rename(target)
    (folder / "weights.safetensors").symlink_to(target)
    expect_error(folder, "weights.safetensors", "regular file")


def test_list_reports_broken_styles_beside_good_ones(make_style, tmp_path):
    make_style("good", seed=1)
    (tmp_path / "styles" / "broken").mkdir()
    entries = list_styles(tmp_path / "styles")
    assert [getattr(e, "slug", None) for e in entries] == [None, "good"]
    assert isinstance(entries[0], StyleError) and "broken" in str(entries[0])


@pytest.mark.parametrize("slug", ["../etc", "a/b", "", "UPPER", ".hidden", "x" * 65])
def test_slugs_cannot_name_paths(slug):
    with pytest.raises(StyleError, match="expected 1-64 characters"):
        check_slug(slug)


def test_save_writes_preview_and_meta(tmp_path):
    from vjengine.model.cppn import CPPN

    net = CPPN(seed=9)
    preview = np.zeros((8, 8, 3), np.uint8)
    folder = save_style(tmp_path, "with-preview", net,
                        style_meta(net.config, "With preview", "p", "seeded-init", 0.5), preview)
    assert (folder / "preview.png").stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == ["preview.png", "style.toml", "weights.safetensors"]
