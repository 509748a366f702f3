"""The styles contact sheet: one tile row per style, the look metrics measure what they say."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vjengine.cli import main
from vjengine.model.cppn import CPPNConfig
from vjengine.train import sheet

SMALL = CPPNConfig(width=16, depth=2)


@pytest.mark.unit
def test_metrics_tell_flat_grey_from_fine_colourful_stripes():
    grey = np.full((72, 128, 3), 128, np.uint8)
    x = np.arange(128)
    stripes = np.zeros((72, 128, 3), np.uint8)
    stripes[:, x % 4 < 2] = (255, 0, 0)
    stripes[:, x % 4 >= 2] = (0, 0, 255)
    assert sheet.rms_contrast(grey) == 0 and sheet.colourfulness(grey) == 0
    assert sheet.detail_share(stripes) > 0.99 and sheet.colourfulness(stripes) > 80
    assert sheet.rms_contrast(stripes) > 0.05
    smooth = np.repeat(np.linspace(0, 255, 128)[None, :, None], 72, 0).repeat(3, 2).astype(np.uint8)
    assert sheet.detail_share(smooth) < 0.1


@pytest.mark.unit
def test_descriptor_distance_is_zero_for_itself_and_large_for_different_looks():
    red = [np.zeros((36, 64, 3), np.uint8) + np.array([255, 0, 0], np.uint8)]
    blue = [np.zeros((36, 64, 3), np.uint8) + np.array([0, 0, 255], np.uint8)]
    a, b = sheet.descriptor(red), sheet.descriptor(blue)
    assert sheet.descriptor_distance(a, a) == 0 and sheet.descriptor_distance(a, b) >= 1


def test_sheet_command_writes_one_tile_row_per_style_and_a_metrics_page(tmp_path, make_style, capsys):
    for seed, slug in enumerate(("alpha", "beta", "gamma")):
        make_style(slug, seed=seed + 1, config=SMALL)
    out = tmp_path / "sheet.html"
    assert main(["styles", "--dir", str(tmp_path / "styles"), "--sheet", str(out)]) == 0
    with Image.open(tmp_path / "sheet.png") as picture:
        width, height = picture.size
    tile_width, tile_height = sheet.TILE
    assert width == sheet.LABEL_WIDTH + 4 * tile_width
    assert (height - 20) // tile_height == 3
    page = out.read_text()
    assert all(f"<td>{slug}</td>" in page for slug in ("alpha", "beta", "gamma"))
    printed = capsys.readouterr().out
    assert printed.count("nearest ") == 3


def test_sheet_refuses_a_bad_output_name_in_one_line(tmp_path, make_style, capsys):
    make_style("alpha", config=SMALL)
    assert main(["styles", "--dir", str(tmp_path / "styles"), "--sheet", str(tmp_path / "x.gif")]) == 2
    assert "expected a .png or .html" in capsys.readouterr().err
