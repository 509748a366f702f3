"""The GL pipeline on a real (Mesa EGL) context: upscale, crossfade and each post effect."""

import numpy as np
import pytest

from vjengine.modulate import PostParams
from vjengine.render.gl import UPSCALERS, Pipeline


def gradient(width, height, channel):
    picture = np.zeros((height, width, 3), np.uint8)
    picture[..., channel] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    return picture


@pytest.fixture(params=UPSCALERS)
def pipeline(gl_context, request):
    return Pipeline(gl_context, (128, 72), upscale=request.param)


def test_upscale_keeps_orientation_and_values(pipeline):
    picture = np.zeros((18, 32, 3), np.uint8)
    picture[:9, :, 0] = 255  # top half red
    picture[9:, :, 2] = 255  # bottom half blue
    pipeline.upload("a", picture)
    pipeline.draw(0.0, PostParams())
    out = pipeline.read_rgb()
    assert out.shape == (72, 128, 3)
    assert out[5, 64, 0] > 250 and out[5, 64, 2] < 5
    assert out[-5, 64, 2] > 250 and out[-5, 64, 0] < 5


def test_a_read_back_at_another_size_is_the_output_scaled_on_the_gpu(pipeline):
    picture = gradient(32, 18, 1)
    picture[:9, :, 0] = 255  # top half red
    pipeline.upload("a", picture)
    pipeline.draw(0.0, PostParams())
    full = pipeline.read_rgb().astype(float)
    half = pipeline.read_rgb((64, 36)).astype(float)
    assert half.shape == (36, 64, 3) and pipeline.read_rgb().shape == (72, 128, 3)
    boxed = full.reshape(36, 2, 64, 2, 3).mean(axis=(1, 3))
    assert np.abs(half - boxed).mean() < 3  # the same picture, top row first
    assert half[2, 32, 0] > 250 and half[-3, 32, 0] < 5


def test_crossfade_is_the_blend_of_the_two_styles(pipeline):
    a, b = gradient(32, 18, 0), gradient(32, 18, 1)[:, ::-1].copy()
    pipeline.upload("a", a)
    pipeline.upload("b", b)
    outs = {}
    for mix in (0.0, 0.3, 1.0):
        pipeline.draw(mix, PostParams())
        outs[mix] = pipeline.read_rgb().astype(float)
    blend = 0.7 * outs[0.0] + 0.3 * outs[1.0]
    assert np.abs(outs[0.3] - blend).max() <= 2


def test_flash_moves_toward_white_and_neutral_passes_are_skipped(pipeline):
    pipeline.upload("a", gradient(32, 18, 2))
    pipeline.draw(0.0, PostParams())
    plain = pipeline.read_rgb().astype(int)
    pipeline.draw(0.0, PostParams(flash=0.5))
    flashed = pipeline.read_rgb().astype(int)
    assert np.all(flashed >= plain - 1) and flashed.mean() > plain.mean() + 50


def test_a_flash_punches_to_white_instead_of_washing_to_grey(gl_context):
    pipeline = Pipeline(gl_context, (32, 18), upscale="bilinear")
    pipeline.upload("a", gradient(32, 18, 2))  # blue from black to full
    for flash, black_at_most, white_from in ((0.5, 70, 0.5), (1.0, 255, 0.0)):
        pipeline.draw(0.0, PostParams(flash=flash))
        row = pipeline.read_rgb()[9, :, 2].astype(int)
        assert row[0] <= black_at_most  # black lifts a little (a quarter at 0.5), not to grey
        assert np.all(row[int(white_from * 31) + 1:] >= 254)  # the upper half burns to full


def test_kaleidoscope_output_is_mirror_symmetric(pipeline):
    pipeline.upload("a", gradient(32, 18, 0))
    pipeline.draw(0.0, PostParams(kaleido=2))
    out = pipeline.read_rgb().astype(int)
    assert np.abs(out - out[::-1]).mean() < 3  # two wedges mirror about the horizontal axis
    assert out.std() > 10


def test_hue_rotation_by_a_third_turns_red_into_green(pipeline):
    picture = np.zeros((18, 32, 3), np.uint8)
    picture[..., 0] = 255
    pipeline.upload("a", picture)
    pipeline.draw(0.0, PostParams(hue=1 / 3))
    out = pipeline.read_rgb()[36, 64]
    assert out[1] > 240 and out[0] < 15 and out[2] < 15


def test_trails_keep_the_previous_frame(pipeline):
    white = np.full((18, 32, 3), 255, np.uint8)
    black = np.zeros((18, 32, 3), np.uint8)
    pipeline.upload("a", white)
    pipeline.draw(0.0, PostParams(trails=0.8))
    pipeline.upload("a", black)
    pipeline.draw(0.0, PostParams(trails=0.8))
    assert 180 < pipeline.read_rgb().mean() < 230
    pipeline.draw(0.0, PostParams())
    assert pipeline.read_rgb().max() == 0  # trails off: no ghost


def test_broken_shader_reload_keeps_the_running_programs(gl_context, tmp_path):
    import shutil

    from vjengine.paths import SHADERS

    shutil.copytree(SHADERS, tmp_path / "shaders")
    pipeline = Pipeline(gl_context, (64, 36), shader_dir=tmp_path / "shaders")
    (tmp_path / "shaders" / "post.frag").write_text("#version 330\nthis is not glsl\n")
    assert pipeline.reload_shaders() is False
    pipeline.upload("a", gradient(16, 9, 0))
    pipeline.draw(0.0, PostParams(hue=0.5))
    assert pipeline.read_rgb().std() > 10


def test_the_post_effects_run_at_the_cppn_resolution_and_the_output_is_upscaled(pipeline):
    pipeline.upload("a", gradient(32, 18, 0))
    output = pipeline.draw(0.0, PostParams(hue=0.2, flash=0.1, trails=0.5, kaleido=3))
    assert pipeline.picture.size == (32, 18)
    assert output.size == ((128, 72) if pipeline.upscaler == "edge" else (32, 18))
    assert pipeline.read_rgb().shape == (72, 128, 3)


def diagonal_step(width, height, low, high):
    y, x = np.mgrid[0:height, 0:width]
    level = np.where(x + 0.6 * y > width / 2, high, low).astype(np.uint8)
    return np.repeat(level[..., None], 3, axis=2)


def steepest(picture):
    luma = picture[..., 1].astype(float)
    return max(np.abs(np.diff(luma, axis=0)).max(), np.abs(np.diff(luma, axis=1)).max())


def test_the_edge_upscale_is_sharper_than_bilinear_with_a_bounded_overshoot(gl_context):
    step = diagonal_step(32, 18, 64, 192)
    found = {}
    for mode in ("bilinear", "edge"):
        pipeline = Pipeline(gl_context, (128, 72), upscale=mode)
        pipeline.upload("a", step)
        pipeline.draw(0.0, PostParams())
        found[mode] = pipeline.read_rgb()
    assert steepest(found["edge"]) > 1.3 * steepest(found["bilinear"])
    # EASU clamps to its quad (no ringing); RCAS's lobe is capped: a 128-level step overshoots < 16.
    assert found["edge"].min() > 64 - 16 and found["edge"].max() < 192 + 16
    assert np.abs(found["edge"].astype(int) - found["bilinear"]).mean() < 8  # the same picture


def test_an_unknown_upscaler_is_a_one_line_input_error(gl_context):
    from vjengine.errors import InputError

    with pytest.raises(InputError, match="--upscale lanczos: expected auto or one of bilinear, cubic, edge"):
        Pipeline(gl_context, (64, 36), upscale="lanczos")


def test_auto_upscale_is_edge_except_on_a_software_renderer(gl_context):
    from vjengine.render.backends.glsl import is_software

    expected = "bilinear" if is_software(gl_context.info["GL_RENDERER"]) else "edge"
    assert Pipeline(gl_context, (64, 36), upscale="auto").upscaler == expected
