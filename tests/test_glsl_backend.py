"""The GLSL backend on a real (Mesa EGL) context draws the reference picture, for crossfades too."""

import logging
import math
import time
from pathlib import Path

import moderngl
import numpy as np
import pytest

from vjengine.audio.features import AudioFeatures
from vjengine.control.params import ParamState
from vjengine.model import conditioning
from vjengine.model.coords import CoordinateTransform
from vjengine.model.cppn import MAX_DEPTH, MAX_WIDTH, CPPNConfig
from vjengine.errors import InputError
from vjengine.modulate import TIME_PERIOD, FrameInputs, PostParams, modulate
from vjengine.render.backends.glsl import is_software, shader_source
from vjengine.render.evaluate import GLSLBackend, ReferenceBackend, cuda_available, make_backend
from vjengine.render.export_glsl import export_source
from vjengine.render.frame import FrameRenderer
from vjengine.render.gl import Pipeline, create_offscreen_context
from vjengine.styles.store import Style, list_styles

STYLES = Path(__file__).resolve().parents[1] / "styles"
STATES = conditioning.fixed_states(8)
TRANSFORMS = [CoordinateTransform(), CoordinateTransform(zoom=1.3, rotation=0.4, pan_x=0.2, symmetry=3),
              CoordinateTransform(zoom=0.7, rotation=-1.1, pan_y=-0.3, symmetry=1),
              CoordinateTransform(rotation=2.0, symmetry=2), CoordinateTransform(zoom=2.0, symmetry=6)]


def frame(state, transform=CoordinateTransform()):
    return FrameInputs(t=0.0, conditioning=tuple(float(c) for c in state), transform=transform,
                       xfade=0.0, post=PostParams())


def max_diff(a, b):
    return int(np.abs(a.astype(int) - b.astype(int)).max())


def reference_picture(style, width, height, inputs):
    reference = ReferenceBackend()
    return reference.evaluate([reference.prepare(style)], width, height, inputs)[0]


@pytest.fixture(scope="module")
def glsl(gl_context):
    with GLSLBackend(gl_context) as backend:
        yield backend


@pytest.fixture(scope="module")
def starters() -> list[Style]:
    return [entry for entry in list_styles(STYLES) if isinstance(entry, Style)]


def test_starter_styles_match_the_reference_within_one_level(glsl, starters):
    assert len(starters) >= 5
    for i, style in enumerate(starters):
        folded = glsl.prepare(style)
        for j, (size, transform) in enumerate([((97, 61), TRANSFORMS[i % 5]), ((40, 64), TRANSFORMS[(i + 1) % 5])]):
            inputs = frame(STATES[(2 * i + j) % 8], transform)
            (got,) = glsl.evaluate([folded], *size, inputs)
            want = reference_picture(style, *size, inputs)
            assert got.shape == (size[1], size[0], 3) and got.dtype == np.uint8
            assert max_diff(got, want) <= 1, (style.slug, size, transform)
            assert want.std() > 3  # a picture, not a flat field


@pytest.mark.parametrize("config, size", [(CPPNConfig(width=130, depth=7, frequency=1.7), (33, 21)),
                                          (CPPNConfig(width=1024, depth=2), (9, 7)),
                                          (CPPNConfig(width=5, depth=1), (16, 16))])
def test_wide_deep_and_tiny_networks_match_the_reference(glsl, make_style, config, size):
    style = make_style("odd", seed=7, config=config)
    for state, transform in zip(STATES[:3], TRANSFORMS[:3]):
        inputs = frame(state, transform)
        (got,) = glsl.evaluate([glsl.prepare(style)], *size, inputs)
        assert max_diff(got, reference_picture(style, *size, inputs)) <= 1


def test_two_of_the_largest_networks_fit_in_one_pass(glsl, make_style):
    """Two MAX_WIDTH x MAX_DEPTH styles in one draw stay within llvmpipe's loop iteration cap."""
    config = CPPNConfig(width=MAX_WIDTH, depth=MAX_DEPTH)
    a, b = make_style("a", seed=1, config=config), make_style("b", seed=2, config=config)
    inputs = frame(STATES[4], TRANSFORMS[1])
    both = glsl.evaluate([glsl.prepare(a), glsl.prepare(b)], 5, 3, inputs)
    assert max_diff(both[0], reference_picture(a, 5, 3, inputs)) <= 1
    assert max_diff(both[1], reference_picture(b, 5, 3, inputs)) <= 1


def test_conditioning_and_transform_change_the_picture_like_the_reference(glsl, make_style):
    style = make_style("s", seed=3)
    folded = glsl.prepare(style)
    pictures = []
    for state, transform in [(STATES[0], TRANSFORMS[0]), (STATES[5], TRANSFORMS[0]), (STATES[5], TRANSFORMS[1])]:
        inputs = frame(state, transform)
        (got,) = glsl.evaluate([folded], 48, 27, inputs)
        assert max_diff(got, reference_picture(style, 48, 27, inputs)) <= 1
        pictures.append(got)
    assert max_diff(pictures[0], pictures[1]) > 20 and max_diff(pictures[1], pictures[2]) > 20


def test_two_styles_in_one_pass_equal_each_alone(glsl, make_style):
    a = make_style("a", seed=1)
    b = make_style("b", seed=2, config=CPPNConfig(width=64, depth=3, frequency=1.3))
    fa, fb = glsl.prepare(a), glsl.prepare(b)
    inputs = frame(STATES[2], TRANSFORMS[1])
    both = glsl.evaluate([fa, fb], 45, 31, inputs)
    assert np.array_equal(both[0], glsl.evaluate([fa], 45, 31, inputs)[0])
    assert np.array_equal(both[1], glsl.evaluate([fb], 45, 31, inputs)[0])
    assert max_diff(both[1], reference_picture(b, 45, 31, inputs)) <= 1
    assert max_diff(both[0], both[1]) > 50


def test_weight_morph_reloads_the_weights_every_frame(glsl, make_style):
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    fa, fb = glsl.prepare(a), glsl.prepare(b)
    inputs = frame(STATES[1])
    ends = [glsl.evaluate([fa.morph(fb, w)], 32, 32, inputs)[0] for w in (0.0, 1.0)]
    assert np.array_equal(ends[0], glsl.evaluate([fa], 32, 32, inputs)[0])
    assert np.array_equal(ends[1], glsl.evaluate([fb], 32, 32, inputs)[0])


def test_pictures_stay_on_the_gpu_and_crossfade_like_uploaded_ones(gl_context, make_style):
    """Sharing the pipeline's context, the frame path draws the backend's textures directly."""
    a, b = make_style("a", seed=1), make_style("b", seed=2)
    with GLSLBackend(gl_context) as backend:
        fa, fb = backend.prepare(a), backend.prepare(b)
        gpu, host = Pipeline(gl_context, (96, 54)), Pipeline(gl_context, (96, 54))
        renderer = FrameRenderer(backend, gpu, (48, 27))
        params = {**ParamState().current, "xfade": 0.3, "zoom": 1.2}
        inputs = modulate(AudioFeatures(t=1.0, rms=0.2), params, 1.0)
        assert renderer.draw(inputs, fa, fb, "crossfade") and inputs.xfade == pytest.approx(0.3)
        shown = gpu.read_rgb()
        for slot, picture in zip("ab", backend.evaluate([fa, fb], 48, 27, inputs)):
            host.upload(slot, picture)
        host.draw(inputs.xfade, inputs.post)
        assert max_diff(shown, host.read_rgb()) <= 1


def test_shader_compiles_fast_for_any_width(gl_context):
    """Uniform loop bounds: a driver has nothing to unroll, even at the widest network."""
    vertex = (Path(__file__).resolve().parents[1] / "shaders" / "fullscreen.vert").read_text()
    for slots in (32, 256):
        start = time.perf_counter()
        program = gl_context.program(vertex_shader=vertex, fragment_shader=shader_source(slots))
        assert time.perf_counter() - start < 5.0
        program.release()


def test_renderer_strings_are_classified():
    assert is_software("llvmpipe (LLVM 15.0.6, 256 bits)") and is_software("Apple Software Renderer")
    assert is_software("softpipe") and is_software("Mesa X11 swrast")
    assert not is_software("NVIDIA GeForce RTX 4090/PCIe/SSE2") and not is_software("Apple M2 Pro")


@pytest.mark.skipif(cuda_available(), reason="this machine has a GPU: auto picks cuda")
def test_auto_picks_the_cpu_on_a_software_renderer_and_says_why(gl_context, caplog):
    renderer = gl_context.info["GL_RENDERER"]
    with caplog.at_level(logging.INFO, logger="vjengine.render.evaluate"), \
            make_backend("auto", gl_context) as backend:
        assert backend.name == ("cpu" if is_software(renderer) else "glsl")
    assert f"backend auto: {backend.name}" in caplog.text and renderer in caplog.text


def test_named_glsl_backend_draws_in_the_given_context(gl_context):
    with make_backend("glsl", gl_context) as backend:
        assert backend.name == "glsl" and backend.ctx is gl_context


EXPORT_STATE = dict(time=5.3, beat=0.27, bands=(0.6, 0.4, 0.7, 0.8), onset=0.3)
EXPORT_VIEW = CoordinateTransform(zoom=1.3, rotation=0.4, pan_x=0.2, pan_y=-0.1, symmetry=3)
HOST_SHIMS = {  # what each host declares around the shader
    "touchdesigner": "#version 330\nstruct TDTexInfo { vec4 res; vec4 depth; };\n"
                     "uniform TDTexInfo uTDOutputInfo;\nvec4 TDOutputSwizzle(vec4 c) { return c; }\n",
    "shadertoy": "#version 330\nuniform vec3 iResolution;\nuniform float iTime;\nout vec4 shadertoyColor;\n",
}


def export_frame():
    s = EXPORT_STATE
    time_phase, beat_phase = 2 * math.pi * s["time"] / TIME_PERIOD, 2 * math.pi * s["beat"]
    bass, mid, treble, level = s["bands"]
    return frame((math.sin(time_phase), math.cos(time_phase), math.sin(beat_phase), math.cos(beat_phase),
                  bass, mid, treble, s["onset"], level), EXPORT_VIEW)


def draw_exported(ctx, source, width, height, uniforms):
    vertex = (Path(__file__).resolve().parents[1] / "shaders" / "fullscreen.vert").read_text()
    program = ctx.program(vertex_shader=vertex, fragment_shader=source)
    for name, value in uniforms.items():
        program[name].value = value
    texture = ctx.texture((width, height), 4)
    fbo = ctx.framebuffer(color_attachments=[texture])
    fbo.use()
    ctx.vertex_array(program, []).render(moderngl.TRIANGLES, vertices=3)
    return np.frombuffer(fbo.read(components=3, alignment=1), np.uint8).reshape(height, width, 3)[::-1]


def test_exported_shader_draws_the_backends_picture_in_a_fresh_context(glsl, make_style):
    style = make_style("small", seed=9, config=CPPNConfig(width=40, depth=3, frequency=1.3))
    source = export_source(style)
    assert "uniform" in source and "W2[" in source  # weights inlined, in several chunks
    (want,) = glsl.evaluate([glsl.prepare(style)], 57, 43, export_frame())
    ctx = create_offscreen_context()
    try:
        start = time.perf_counter()
        s = EXPORT_STATE
        got = draw_exported(ctx, source, 57, 43, {
            "iResolution": (57.0, 43.0, 1.0), "iTime": s["time"], "uBeatPhase": s["beat"],
            "uBands": s["bands"], "uOnset": s["onset"], "uSymmetry": float(EXPORT_VIEW.symmetry),
            "uView": (EXPORT_VIEW.zoom, EXPORT_VIEW.rotation, EXPORT_VIEW.pan_x, EXPORT_VIEW.pan_y)})
        assert time.perf_counter() - start < 20.0
    finally:
        ctx.release()
        glsl.ctx.__enter__()  # a new context became current; later tests draw in the shared one
    assert max_diff(got, want) <= 1 and want.std() > 3


@pytest.mark.parametrize("host", ["touchdesigner", "shadertoy"])
def test_exported_shader_compiles_for_each_host(gl_context, make_style, host):
    source = export_source(make_style("small", seed=9, config=CPPNConfig(width=32, depth=2)), host)
    if host == "shadertoy":
        source += "void main() { mainImage(shadertoyColor, gl_FragCoord.xy); }\n"
    got = draw_exported(gl_context, HOST_SHIMS[host] + source, 16, 16, {})
    assert got.shape == (16, 16, 3)


def test_export_names_a_bad_host_in_one_line(make_style):
    with pytest.raises(InputError, match="host 'vvvv': expected one of glsl, touchdesigner, shadertoy"):
        export_source(make_style("small", config=CPPNConfig(width=32, depth=2)), "vvvv")


def test_a_new_conditioning_slot_reaches_every_backend_and_the_export(gl_context, make_style, monkeypatch):
    """Adding a slot to the layout is the whole change: every backend and the exported shader follow."""
    from vjengine.render.backends.cpu import CPUBackend
    from vjengine.render.backends.cuda import CUDABackend

    layout = conditioning.LAYOUT + (conditioning.ConditioningSlot("sub_bass", 0.0, 1.0, "a new input"),)
    monkeypatch.setattr(conditioning, "LAYOUT", layout)
    monkeypatch.setattr(conditioning, "SIZE", len(layout))
    monkeypatch.setattr(conditioning, "NAMES", tuple(slot.name for slot in layout))
    monkeypatch.setattr(conditioning, "INDEX", {slot.name: i for i, slot in enumerate(layout)})
    style = make_style("wider", seed=5, config=CPPNConfig(width=32, depth=3, cond_size=len(layout)))
    source = export_source(style)
    assert "uniform float uSubBass;" in source and "a new input" in source
    backends = [CPUBackend(compile=False), GLSLBackend(gl_context)]
    if cuda_available():
        backends.append(CUDABackend())
    s, pictures = EXPORT_STATE, []
    for sub_bass in (0.05, 0.95):
        inputs = export_frame()
        inputs = frame(inputs.conditioning + (sub_bass,), EXPORT_VIEW)
        want = reference_picture(style, 48, 36, inputs)
        for backend in backends:
            (got,) = backend.evaluate([backend.prepare(style)], 48, 36, inputs)
            assert max_diff(got, want) <= 1, backend.name
        exported = draw_exported(gl_context, source, 48, 36, {
            "iResolution": (48.0, 36.0, 1.0), "iTime": s["time"], "uBeatPhase": s["beat"],
            "uBands": s["bands"], "uOnset": s["onset"], "uSubBass": sub_bass,
            "uSymmetry": float(EXPORT_VIEW.symmetry),
            "uView": (EXPORT_VIEW.zoom, EXPORT_VIEW.rotation, EXPORT_VIEW.pan_x, EXPORT_VIEW.pan_y)})
        assert max_diff(exported, want) <= 1
        pictures.append(want)
    for backend in backends:
        backend.close()
    assert max_diff(*pictures) > 20  # the new input changes the picture: it is wired, not ignored
