"""CPPN evaluation: the one interface to the backends (CUDA fp16, GLSL, the CPU fast path, the reference)."""

from __future__ import annotations

import logging

import moderngl
import torch

from vjengine.errors import InputError
from vjengine.render.backends.base import Backend, FoldedWeights, to_uint8
from vjengine.render.backends.cpu import CPUBackend
from vjengine.render.backends.cuda import CUDABackend
from vjengine.render.backends.glsl import GLSLBackend, is_software
from vjengine.render.backends.reference import ReferenceBackend
from vjengine.render.gl import create_offscreen_context

__all__ = ["BACKENDS", "Backend", "CPUBackend", "CUDABackend", "FoldedWeights", "GLSLBackend",
           "ReferenceBackend", "check_backend_name", "cuda_available", "make_backend", "to_uint8"]

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Backend]] = {"cuda": CUDABackend, "glsl": GLSLBackend, "cpu": CPUBackend,
                                      "reference": ReferenceBackend}


def cuda_available() -> bool:
    """Whether torch sees an NVIDIA GPU (a ROCm build reports its GPUs through torch.cuda too)."""
    return torch.cuda.is_available() and torch.version.cuda is not None


def gl_renderer(ctx: moderngl.Context | None) -> str | None:
    """ctx's OpenGL renderer string, or a headless context's; None when no OpenGL 3.3 exists here."""
    if ctx is not None:
        return ctx.info["GL_RENDERER"]
    try:
        probe = create_offscreen_context()
    except RuntimeError:
        return None
    renderer = probe.info["GL_RENDERER"]
    probe.release()
    return renderer


def auto_backend_name(ctx: moderngl.Context | None) -> str:
    """CUDA when torch sees an NVIDIA GPU, else GLSL on a hardware OpenGL renderer, else the CPU
    fast path (a software renderer such as llvmpipe draws the shader slower than it); logged."""
    if cuda_available():
        log.info("backend auto: cuda on %s", torch.cuda.get_device_name())
        return "cuda"
    renderer = gl_renderer(ctx)
    if renderer is None:
        log.info("backend auto: cpu (torch sees no NVIDIA GPU and there is no OpenGL 3.3 context)")
        return "cpu"
    if is_software(renderer):
        log.info("backend auto: cpu (torch sees no NVIDIA GPU; OpenGL renderer %r is software)", renderer)
        return "cpu"
    log.info("backend auto: glsl on %s (torch sees no NVIDIA GPU)", renderer)
    return "glsl"


def check_backend_name(name: str) -> None:
    """A one-line InputError unless name is "auto" or a backend's."""
    if name != "auto" and name not in BACKENDS:
        raise InputError(f"backend {name!r}: expected auto or one of {', '.join(BACKENDS)}")


def make_backend(name: str = "auto", ctx: moderngl.Context | None = None, steady: bool = False) -> Backend:
    """The named backend, or auto_backend_name's pick for "auto".

    ctx: the GL context the caller renders in; the glsl backend draws there (and its pictures
    stay on the GPU), or in a headless context of its own when None. steady: every frame from one
    kernel (the CPU backend waits for its compiled kernel), as renders that must reproduce need.
    """
    check_backend_name(name)
    if name == "auto":
        name = auto_backend_name(ctx)
    if name == "cuda" and not cuda_available():
        raise InputError("backend 'cuda': torch sees no NVIDIA GPU here (use auto or cpu)")
    if name == "glsl":
        try:
            return GLSLBackend(ctx)
        except RuntimeError as exc:
            raise InputError(f"backend 'glsl': {exc}") from None
    if name == "cpu":
        return CPUBackend(steady=steady)
    return BACKENDS[name]()
