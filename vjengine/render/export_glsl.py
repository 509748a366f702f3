"""A style as one self-contained GLSL fragment shader (weights inlined) for other hosts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

import numpy as np
import torch

from vjengine.errors import InputError
from vjengine.model import conditioning
from vjengine.model.cppn import COORD_SIZE
from vjengine.modulate import TIME_PERIOD
from vjengine.paths import SHADERS
from vjengine.render.backends.base import FoldedWeights
from vjengine.render.backends.glsl import expand_includes
from vjengine.render.backends.glsl_weights import deep_texels, dense_texels, width4
from vjengine.styles.store import Style

CHUNK = 256  # texels per constant array: compile time grows with the square of an array's length
UNIFORMS = """uniform float iTime;
uniform float uBeatPhase;
uniform vec4 uBands;
uniform float uOnset;
uniform vec4 uView;
uniform float uSymmetry;
$extra_uniforms
out vec4 fragColor;"""
# How the shader computes each conditioning slot from its inputs. A slot of the layout that is
# not named here gets a float uniform of its own (see slot_uniform), so every slot is wired.
SLOT_SOURCES = {
    "time_sin": "sin(time_phase)", "time_cos": "cos(time_phase)",
    "beat_sin": "sin(beat_phase)", "beat_cos": "cos(beat_phase)",
    "bass": "uBands.x", "mid": "uBands.y", "treble": "uBands.z", "level": "uBands.w",
    "onset": "uOnset",
}


@dataclass(frozen=True)
class Host:
    """How one kind of host declares the inputs and calls the shader."""

    label: str
    wiring: str
    preamble: str
    entry: str


HOSTS = {
    "glsl": Host(
        "any OpenGL 3.3 host",
        "Wiring: set the uniforms and draw a full-screen triangle or quad.",
        f"#version 330\nuniform vec3 iResolution;\n{UNIFORMS}",
        "void main() {\n    fragColor = cppn_style(gl_FragCoord.xy);\n}"),
    "touchdesigner": Host(
        "TouchDesigner's GLSL TOP",
        "Wiring: the GLSL TOP's pixel shader; its output resolution is iResolution. Vectors page:\n"
        "// iTime (e.g. absTime.seconds), uBeatPhase, uBands, uOnset, uView (1 0 0 0), uSymmetry.",
        f"#define iResolution vec3(uTDOutputInfo.res.zw, 1.0)\n{UNIFORMS}",
        "void main() {\n    fragColor = TDOutputSwizzle(cppn_style(gl_FragCoord.xy));\n}"),
    "shadertoy": Host(
        "Shadertoy",
        "Wiring: paste into a Shadertoy Image tab. Shadertoy has no custom uniforms, so the\n"
        "// #defines below stand in for them (BPM sets the beat; edit to taste).",
        "#define BPM 120.0\n#define uBeatPhase fract(iTime * BPM / 60.0)\n"
        "#define uBands vec4(0.5, 0.5, 0.5, 0.5)\n#define uOnset 0.0\n"
        "#define uView vec4(1.0, 0.0, 0.0, 0.0)\n#define uSymmetry 0.0\n$extra_defines",
        "void mainImage(out vec4 fragColor, in vec2 fragCoord) {\n"
        "    fragColor = cppn_style(fragCoord);\n}"),
}


def input_groups(config) -> int:
    """Layer 1's inputs (x, y, r, then the conditioning slots) in groups of four."""
    return -(-(COORD_SIZE + config.cond_size) // 4)


def style_texels(weights: FoldedWeights) -> np.ndarray:
    """[n, 4] float32: layer 1 as a dense layer from (x, y, r, conditioning), then deep_texels."""
    first = dense_texels(torch.cat([weights.coord, weights.cond]), weights.bias,
                         input_groups(weights.config), width4(weights.config))
    return np.concatenate([first, deep_texels(weights)]).astype(np.float32)


def slot_uniform(name: str) -> str:
    """The uniform that feeds a conditioning slot with no entry in SLOT_SOURCES: u + CamelCase."""
    return "u" + "".join(part.capitalize() for part in name.split("_"))


def layer1_inputs() -> tuple[str, str, str, str]:
    """GLSL for the layout's inputs: statements filling h[src..], the extra uniforms' declarations,
    the same as #defines at their rest values (for hosts without uniforms), and their doc lines."""
    extra = [slot for slot in conditioning.LAYOUT if slot.name not in SLOT_SOURCES]
    values = ["p.x", "p.y", "p.z"] + [SLOT_SOURCES.get(slot.name, slot_uniform(slot.name))
                                      for slot in conditioning.LAYOUT]
    values += ["0.0"] * (-len(values) % 4)
    fill = "\n".join(f"    h[src + {i // 4}] = vec4({', '.join(values[i:i + 4])});"
                     for i in range(0, len(values), 4))
    rest = conditioning.rest_state()
    declarations = "\n".join(f"uniform float {slot_uniform(slot.name)};" for slot in extra)
    defines = "\n".join(f"#define {slot_uniform(slot.name)} {float(rest[conditioning.INDEX[slot.name]])!r}"
                        for slot in extra)
    docs = "".join(f"\n//   {slot_uniform(slot.name):<15} {slot.description}, {slot.lo:g}..{slot.hi:g}"
                   for slot in extra)
    return fill, declarations, defines, docs


def _literal(value: np.float32) -> str:
    return np.format_float_positional(value, trim="-")


def export_source(style: Style, host: str = "glsl", shader_dir: Path = SHADERS) -> str:
    """The style's fragment shader for `host` (one of HOSTS)."""
    if host not in HOSTS:
        raise InputError(f"host {host!r}: expected one of {', '.join(HOSTS)}")
    config = style.config
    if config.cond_size != conditioning.SIZE:
        raise InputError(f"style {style.slug!r}: {config.cond_size} conditioning inputs; the GLSL "
                         f"export takes the {conditioning.SIZE} of {conditioning.LAYOUT_NAME}")
    if input_groups(config) > width4(config):
        raise InputError(f"style {style.slug!r}: {COORD_SIZE + config.cond_size} inputs to layer 1 "
                         f"exceed the {4 * width4(config)} its exported shader has room for")
    fill, declarations, defines, docs = layer1_inputs()
    texels = style_texels(FoldedWeights.from_model(style.model()))
    chunks = [texels[start:start + CHUNK] for start in range(0, len(texels), CHUNK)]
    arrays = "\n".join(
        f"const vec4 W{i}[{len(chunk)}] = vec4[{len(chunk)}](\n"
        + ",\n".join("    vec4(" + ", ".join(_literal(v) for v in texel) + ")" for texel in chunk)
        + ");\n" for i, chunk in enumerate(chunks))
    cases = "\n".join(f"    case {i}: return W{i}[i];" for i in range(len(chunks)))
    chosen = HOSTS[host]
    preamble = Template(chosen.preamble).substitute(extra_uniforms=declarations, extra_defines=defines)
    template = Template((Path(shader_dir) / "cppn" / "export.glsl").read_text())
    return expand_includes(template.substitute(
        name=" ".join(style.name.split()), slug=style.slug, host=chosen.label, width=config.width,
        depth=config.depth, layout=conditioning.LAYOUT_NAME, period=repr(float(TIME_PERIOD)),
        extra_inputs=docs, wiring=chosen.wiring, preamble=preamble, width4=width4(config),
        in4=input_groups(config), fill_inputs=fill, weights=arrays, cases=cases,
        entry=chosen.entry), shader_dir)


def export_style(style: Style, output: Path, host: str = "glsl") -> Path:
    """Write export_source to output; returns the path."""
    output = Path(output)
    output.write_text(export_source(style, host))
    return output
