"""Pixel coordinate grids (x, y, r) scaled to [-pi, pi], with the live coordinate transform."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import torch

R_SCALE = math.pi / math.sqrt(2.0)  # r = pi at the corners of a square frame


@dataclass(frozen=True)
class CoordinateTransform:
    """How the frame looks into the CPPN's plane: zoom, rotation, pan and mirror symmetry.

    symmetry: 0 none, 1 mirror left/right, 2 mirror both axes, n >= 3 an n-fold kaleidoscope.
    """

    zoom: float = 1.0
    rotation: float = 0.0  # radians
    pan_x: float = 0.0  # in units of the short half-side
    pan_y: float = 0.0
    symmetry: int = 0


IDENTITY = CoordinateTransform()


@lru_cache(maxsize=8)
def unit_grid(width: int, height: int, device: torch.device | str = "cpu",
              dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel centres (u, v), [height * width] each, row-major from the top-left pixel.

    The short side spans [-1, 1] and the long side extends (no stretch). Cached and shared:
    treat the result as read-only.
    """
    if width < 1 or height < 1:
        raise ValueError(f"grid size must be positive, got {width}x{height}")
    short = min(width, height)
    u = (torch.arange(width, dtype=torch.float64) + 0.5 - width / 2) / (short / 2)
    v = (height / 2 - torch.arange(height, dtype=torch.float64) - 0.5) / (short / 2)
    vv, uu = torch.meshgrid(v, u, indexing="ij")
    return uu.reshape(-1).to(device, dtype), vv.reshape(-1).to(device, dtype)


def _fold(u: torch.Tensor, v: torch.Tensor, symmetry: int) -> tuple[torch.Tensor, torch.Tensor]:
    if symmetry <= 0:
        return u, v
    if symmetry == 1:
        return u.abs(), v
    if symmetry == 2:
        return u.abs(), v.abs()
    wedge = 2 * math.pi / symmetry
    angle = torch.remainder(torch.atan2(v, u), wedge)
    angle = torch.where(angle > wedge / 2, wedge - angle, angle)
    rho = torch.hypot(u, v)
    return rho * torch.cos(angle), rho * torch.sin(angle)


def transform_points(u: torch.Tensor, v: torch.Tensor, transform: CoordinateTransform) -> torch.Tensor:
    """Unit-grid points (u, v) -> [N, 3] float32 (x, y, r) under the transform, on u's device.

    Computed in u's dtype: grid() uses float64; a backend may pass a chunk of the grid or a
    float32 grid on its own device.
    """
    cos, sin = math.cos(transform.rotation), math.sin(transform.rotation)
    zoom = max(transform.zoom, 1e-6)
    u, v = (cos * u - sin * v) / zoom + transform.pan_x, (sin * u + cos * v) / zoom + transform.pan_y
    u, v = _fold(u, v, transform.symmetry)
    x, y = math.pi * u, math.pi * v
    r = R_SCALE * torch.hypot(u, v)
    return torch.stack([x, y, r], dim=1).to(torch.float32)


@lru_cache(maxsize=4)
def grid(width: int, height: int, transform: CoordinateTransform = IDENTITY) -> torch.Tensor:
    """[height * width, 3] float32 coordinates (x, y, r), row-major from the top-left pixel.

    Cached per (size, transform) and shared: treat the result as read-only.
    """
    return transform_points(*unit_grid(width, height), transform)
