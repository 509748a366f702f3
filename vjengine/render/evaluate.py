"""CPPN evaluation: the one interface to the backends (CUDA fp16, the CPU fast path, the reference)."""

from __future__ import annotations

import logging

import torch

from vjengine.errors import InputError
from vjengine.render.backends.base import Backend, FoldedWeights, to_uint8
from vjengine.render.backends.cpu import CPUBackend
from vjengine.render.backends.cuda import CUDABackend
from vjengine.render.backends.reference import ReferenceBackend

__all__ = ["BACKENDS", "Backend", "CPUBackend", "CUDABackend", "FoldedWeights", "ReferenceBackend",
           "cuda_available", "make_backend", "to_uint8"]

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Backend]] = {"cuda": CUDABackend, "cpu": CPUBackend, "reference": ReferenceBackend}


def cuda_available() -> bool:
    """Whether torch sees an NVIDIA GPU (a ROCm build reports its GPUs through torch.cuda too)."""
    return torch.cuda.is_available() and torch.version.cuda is not None


def make_backend(name: str = "auto") -> Backend:
    """The named backend; "auto" is CUDA when torch sees an NVIDIA GPU, else the CPU fast path."""
    if name == "auto":
        if cuda_available():
            name = "cuda"
            log.info("backend auto: cuda on %s", torch.cuda.get_device_name())
        else:
            name = "cpu"
            log.info("backend auto: cpu (torch sees no NVIDIA GPU)")
    if name not in BACKENDS:
        raise InputError(f"backend {name!r}: expected auto or one of {', '.join(BACKENDS)}")
    if name == "cuda" and not cuda_available():
        raise InputError("backend 'cuda': torch sees no NVIDIA GPU here (use auto or cpu)")
    return BACKENDS[name]()
