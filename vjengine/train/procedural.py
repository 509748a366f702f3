"""Procedural reference pictures (numpy, seeded) with strong forms, for training styles without photos."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from vjengine.errors import InputError
from vjengine.train.stats_guide import parse_hex

GRAY_SCOTT_CELLS = 128
Field = Callable[[int, np.random.Generator], np.ndarray]


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """x, y in [-1, 1] (y down), [size, size] each."""
    axis = (np.arange(size) + 0.5) / size * 2 - 1
    return np.meshgrid(axis, axis)


def _normalise(field: np.ndarray) -> np.ndarray:
    low, high = np.percentile(field, 1), np.percentile(field, 99)
    return np.clip((field - low) / max(high - low, 1e-9), 0, 1)


def _laplacian(a: np.ndarray) -> np.ndarray:
    return np.roll(a, 1, 0) + np.roll(a, -1, 0) + np.roll(a, 1, 1) + np.roll(a, -1, 1) - 4 * a


def _gray_scott(size: int, rng: np.random.Generator, feed: float, kill: float, steps: int) -> np.ndarray:
    """Gray-Scott reaction-diffusion on a 128-cell torus from random seeds; returns the V
    concentration sampled at size x size (the pattern's scale does not depend on size)."""
    n = GRAY_SCOTT_CELLS
    u, v = np.ones((n, n)), np.zeros((n, n))
    for _ in range(24):
        cy, cx = rng.integers(0, n, 2)
        u[cy - 3:cy + 3, cx - 3:cx + 3], v[cy - 3:cy + 3, cx - 3:cx + 3] = 0.5, 0.25
    v += 0.02 * rng.random((n, n))
    for _ in range(steps):
        reaction = u * v * v
        u += 0.16 * _laplacian(u) - reaction + feed * (1 - u)
        v += 0.08 * _laplacian(v) + reaction - (feed + kill) * v
    index = np.arange(size) * n // size
    return v[index][:, index]


def labyrinth(size: int, rng: np.random.Generator) -> np.ndarray:
    """Gray-Scott maze: winding worm-like stripes."""
    return _normalise(_gray_scott(size, rng, 0.037, 0.06, 4000))


def spots(size: int, rng: np.random.Generator) -> np.ndarray:
    """Gray-Scott spots: a field of splitting cells."""
    return _normalise(_gray_scott(size, rng, 0.03, 0.062, 4000))


def _points(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.uniform(-1, 1, (count, 2))


def voronoi(size: int, rng: np.random.Generator) -> np.ndarray:
    """Voronoi cells with dark borders and bright centres (F2 - F1 distance)."""
    x, y = _grid(size)
    points = _points(rng, 40)
    tiles = [points + np.array([dx, dy]) for dx in (-2, 0, 2) for dy in (-2, 0, 2)]
    points = np.concatenate(tiles)
    distance = np.sqrt((x[..., None] - points[:, 0]) ** 2 + (y[..., None] - points[:, 1]) ** 2)
    nearest = np.sort(distance, axis=-1)
    return _normalise(np.sqrt(nearest[..., 1] - nearest[..., 0]))


def _value_noise(size: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Smooth periodic noise: random lattice values, cosine-interpolated."""
    lattice = rng.standard_normal((cells, cells))
    axis = np.arange(size) / size * cells
    i = np.floor(axis).astype(int)
    t = (1 - np.cos(np.pi * (axis - i))) / 2
    rows = lattice[i % cells] * (1 - t)[:, None] + lattice[(i + 1) % cells] * t[:, None]
    return rows[:, i % cells] * (1 - t)[None, :] + rows[:, (i + 1) % cells] * t[None, :]


def _fbm(size: int, rng: np.random.Generator, cells: int = 4, octaves: int = 5) -> np.ndarray:
    return sum(_value_noise(size, rng, cells * 2 ** k) / 2 ** k for k in range(octaves))


def flow_lines(size: int, rng: np.random.Generator) -> np.ndarray:
    """Curl-noise flow: thin bright streamlines following a divergence-free field."""
    potential = _fbm(size, rng, 3, 3)
    vy, vx = np.gradient(potential)
    vx, vy = vy, -vx  # curl of a scalar potential
    speed = np.sqrt(vx ** 2 + vy ** 2) + 1e-9
    vx, vy = vx / speed, vy / speed
    seeds = rng.random((size, size))
    texture = seeds.copy()
    px, py = np.meshgrid(np.arange(size, dtype=float), np.arange(size, dtype=float))
    for direction in (1, -1):
        qx, qy = px.copy(), py.copy()
        for _ in range(24):
            ix, iy = qx.astype(int) % size, qy.astype(int) % size
            qx, qy = qx + direction * vx[iy, ix], qy + direction * vy[iy, ix]
            texture += seeds[qy.astype(int) % size, qx.astype(int) % size]
    return _normalise(_normalise(texture) ** 3)


def stripes(size: int, rng: np.random.Generator) -> np.ndarray:
    """Bold diagonal stripes, gently warped."""
    x, y = _grid(size)
    warp = 0.15 * _value_noise(size, rng, 3)
    return (np.sin((x + y + warp) * 9 * np.pi) > 0).astype(float)


def moire(size: int, rng: np.random.Generator) -> np.ndarray:
    """Two sets of fine rings from offset centres beating against each other."""
    x, y = _grid(size)
    ax, ay, bx, by = rng.uniform(-0.4, 0.4, 4)
    a = np.sin(np.hypot(x - ax, y - ay) * 60)
    b = np.sin(np.hypot(x - bx, y - by) * 60)
    return _normalise(a * b)


def orbit_trap(size: int, rng: np.random.Generator) -> np.ndarray:
    """A Julia set coloured by how close each orbit comes to a cross (an orbit trap)."""
    x, y = _grid(size)
    z = 1.4 * (x + 1j * y)
    c = complex(-0.8 + 0.1 * rng.random(), 0.156 + 0.05 * rng.random())
    trap = np.full(z.shape, 10.0)
    for _ in range(48):
        z = np.where(np.abs(z) < 4, z * z + c, z)
        trap = np.minimum(trap, np.minimum(np.abs(z.real), np.abs(z.imag)))
    return _normalise(-np.log(trap + 1e-4))


def starfield(size: int, rng: np.random.Generator) -> np.ndarray:
    """Sharp stars of many sizes on black, over a faint nebula."""
    field = 0.12 * _normalise(_fbm(size, rng, 2, 4)) ** 2
    x, y = np.meshgrid(np.arange(size), np.arange(size))
    for _ in range(size):
        cx, cy = rng.uniform(0, size, 2)
        radius = 0.5 + 2.5 * rng.random() ** 4
        field += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius ** 2)) * rng.uniform(0.5, 1)
    return np.clip(field, 0, 1)


def tunnel(size: int, rng: np.random.Generator) -> np.ndarray:
    """Concentric rings thinning toward the centre, like looking down a tunnel."""
    x, y = _grid(size)
    radius = np.hypot(x, y) + 1e-3
    angle = np.arctan2(y, x)
    depth = 1 / radius
    return ((np.sin(depth * 6 * np.pi + rng.uniform(0, 6)) + 0.3 * np.sin(angle * 8)) > 0).astype(float)


def spiral(size: int, rng: np.random.Generator) -> np.ndarray:
    """A many-armed logarithmic spiral."""
    x, y = _grid(size)
    arms = int(rng.integers(5, 9))
    return _normalise(np.sin(arms * np.arctan2(y, x) + 10 * np.log(np.hypot(x, y) + 1e-3)))


def grid_lines(size: int, rng: np.random.Generator) -> np.ndarray:
    """A crisp square grid of glowing lines."""
    x, y = _grid(size)
    x, y = x + rng.uniform(0, 1), y + rng.uniform(0, 1)
    cells = 8
    gx = np.abs(np.mod(x * cells / 2, 1) - 0.5)
    gy = np.abs(np.mod(y * cells / 2, 1) - 0.5)
    return np.exp(-np.minimum(gx, gy) ** 2 / 0.002)


def hexagons(size: int, rng: np.random.Generator) -> np.ndarray:
    """A honeycomb: bright hexagon edges."""
    x, y = _grid(size)
    scale = 7
    qx, qy = x * scale + rng.uniform(0, 1), y * scale + rng.uniform(0, 1)
    best = np.full(x.shape, 1e9)
    second = np.full(x.shape, 1e9)
    for i in range(-10, 11):
        for j in range(-10, 11):
            cx, cy = i * np.sqrt(3) + (j % 2) * np.sqrt(3) / 2, j * 1.5
            d = np.hypot(qx - cx, qy - cy)
            second = np.where(d < best, best, np.minimum(second, d))
            best = np.minimum(best, d)
    return np.exp(-(second - best) ** 2 / 0.02)


def glitch_bars(size: int, rng: np.random.Generator) -> np.ndarray:
    """Horizontal bars of random height and level, sliced by a few vertical tears."""
    field = np.zeros((size, size))
    row = 0
    while row < size:
        height = int(rng.integers(2, size // 8))
        level = rng.choice([0.0, 0.0, 1.0, 0.6])
        field[row:row + height] = level
        cut = int(rng.integers(0, size))
        field[row:row + height, cut:] = 1 - field[row:row + height, cut:] if rng.random() < 0.3 else level
        row += height
    return field


def plasma(size: int, rng: np.random.Generator) -> np.ndarray:
    """Liquid plasma: sums of waves, domain-warped."""
    x, y = _grid(size)
    wx, wy = _fbm(size, rng, 2, 3), _fbm(size, rng, 2, 3)
    u, v = x + 0.4 * wx, y + 0.4 * wy
    return _normalise(np.sin(7 * u) + np.sin(6 * v) + np.sin(5 * (u + v)) + np.sin(8 * np.hypot(u, v)))


def marble(size: int, rng: np.random.Generator) -> np.ndarray:
    """Veined marble: thin sine veins bent by fractal noise."""
    x, _ = _grid(size)
    return _normalise(np.abs(np.sin(6 * x + 3 * _fbm(size, rng, 3, 5))) ** 0.3)


def nebula(size: int, rng: np.random.Generator) -> np.ndarray:
    """Billowing fractal gas with bright filaments."""
    return _normalise(np.abs(_fbm(size, rng, 3, 6))) ** 1.6


def truchet(size: int, rng: np.random.Generator) -> np.ndarray:
    """Truchet tiles of quarter arcs: one endless woven line."""
    cells = 12
    px = np.arange(size) / size * cells
    x, y = np.meshgrid(px, px)
    ix, iy = x.astype(int), y.astype(int)
    flip = rng.random((cells, cells)) < 0.5
    fx, fy = x - ix, y - iy
    fx = np.where(flip[iy, ix], 1 - fx, fx)
    d = np.minimum(np.abs(np.hypot(fx, fy) - 0.5), np.abs(np.hypot(fx - 1, fy - 1) - 0.5))
    return (d < 0.1).astype(float)


def mandala(size: int, rng: np.random.Generator) -> np.ndarray:
    """A kaleidoscope: noise folded into twelve mirrored wedges with petal rings."""
    x, y = _grid(size)
    radius, angle = np.hypot(x, y), np.arctan2(y, x)
    wedge = np.abs(np.mod(angle, np.pi / 6) - np.pi / 12)
    petals = np.sin(radius * 18 - np.cos(wedge * 24) * 2)
    return _normalise(petals * np.cos(wedge * 12 + radius * 6 + rng.uniform(0, 6)))


def halftone(size: int, rng: np.random.Generator) -> np.ndarray:
    """Halftone dots whose size follows a slow gradient."""
    x, y = _grid(size)
    cells = 16
    fx = np.mod((x + 1) * cells / 2, 1) - 0.5
    fy = np.mod((y + 1) * cells / 2, 1) - 0.5
    shade = _normalise(_value_noise(size, rng, 2))
    return (np.hypot(fx, fy) < 0.15 + 0.35 * shade).astype(float)


def scanlines(size: int, rng: np.random.Generator) -> np.ndarray:
    """Hard black-and-white bars of two widths: strobe-friendly minimal."""
    _, y = _grid(size)
    return ((np.sin(y * 12 * np.pi) > 0.2) ^ (np.sin(y * 3 * np.pi + rng.uniform(0, 1)) > 0.6)).astype(float)


FIELDS: dict[str, Field] = {f.__name__.replace("_", "-"): f for f in (
    labyrinth, spots, voronoi, flow_lines, stripes, moire, orbit_trap, starfield, tunnel, spiral,
    grid_lines, hexagons, glitch_bars, plasma, marble, nebula, truchet, mandala, halftone, scanlines)}


def gradient_map(field: np.ndarray, stops: list[str]) -> np.ndarray:
    """Colour a [H, W] field in [0, 1] by evenly spaced hex colour stops: [H, W, 3] float32."""
    colours = np.array([parse_hex(stop) for stop in stops], dtype=np.float32)
    positions = np.linspace(0, 1, len(colours))
    return np.stack([np.interp(field, positions, colours[:, c]) for c in range(3)], axis=-1).astype(np.float32)


def make_reference(pattern: str, stops: list[str], size: int = 256, seed: int = 0) -> torch.Tensor:
    """The seeded pattern coloured by its stops: [3, size, size] float32 in [0, 1]."""
    if pattern not in FIELDS:
        raise InputError(f"pattern {pattern!r}: expected one of {', '.join(FIELDS)}")
    field = FIELDS[pattern](size, np.random.default_rng(seed))
    return torch.from_numpy(gradient_map(np.clip(field, 0, 1), stops)).permute(2, 0, 1).contiguous()
