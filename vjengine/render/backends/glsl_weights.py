"""Folded CPPN weights packed four floats a texel, in the layout the CPPN shaders read."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from vjengine.model.cppn import CPPNConfig
from vjengine.render.backends.base import FoldedWeights


NEURON_STEP = 32  # the shaders' loops take 32 neurons a step: widths are padded to a multiple


def width4(config: CPPNConfig) -> int:
    """Texels per neuron row: the width padded to NEURON_STEP, in groups of four (padding stays 0)."""
    return math.ceil(config.width / NEURON_STEP) * NEURON_STEP // 4


def _padded(matrix: torch.Tensor, rows: int, cols: int) -> np.ndarray:
    out = np.zeros((rows, cols), np.float32)
    values = matrix.detach().to("cpu", torch.float32).numpy()
    out[:values.shape[0], :values.shape[1]] = values
    return out


def dense_texels(weight: torch.Tensor, bias: torch.Tensor, in4: int, out4: int) -> np.ndarray:
    """A dense layer, weight [in, out] (x @ weight + bias), zero-padded to 4 * in4 inputs and
    4 * out4 outputs, as [n, 4] texels: for each group j of four outputs, input i's weights to
    them at texel 4 * in4 * j + i, then one bias texel per j."""
    w = _padded(weight, 4 * in4, 4 * out4).reshape(4 * in4, out4, 4).transpose(1, 0, 2)
    return np.concatenate([w.reshape(-1, 4), _padded(bias[None, :], 1, 4 * out4).reshape(-1, 4)])


def pack(weights: FoldedWeights) -> np.ndarray:
    """[n, 4] float32 texels: layer 1's coordinate weights (texel 3j + c: coordinate c to
    outputs 4j..4j+3), the hidden layers, then the output layer padded to four outputs."""
    w4 = width4(weights.config)
    coord = _padded(weights.coord, 3, 4 * w4).reshape(3, w4, 4).transpose(1, 0, 2).reshape(-1, 4)
    return np.ascontiguousarray(np.concatenate([coord, deep_texels(weights)]), dtype=np.float32)


def deep_texels(weights: FoldedWeights) -> np.ndarray:
    """The layers after layer 1: the hidden layers, then the output layer padded to four outputs."""
    w4 = width4(weights.config)
    parts = [dense_texels(w, b, w4, w4) for w, b in weights.hidden]
    parts.append(dense_texels(weights.out[0].T, weights.out[1], w4, 1))
    return np.concatenate(parts)


def frame_biases(styles: Sequence[FoldedWeights], conditioning: Sequence[float], slots: int) -> np.ndarray:
    """Layer 1's per-frame part of each style, [len(styles) * slots * 4] float32, style s from
    s * slots vec4s on (the FrameBias block's layout)."""
    out = np.zeros((len(styles), 4 * slots), np.float32)
    for row, weights in zip(out, styles):
        bias = weights.frame_bias(conditioning).detach().to("cpu", torch.float32).numpy()
        row[:bias.shape[0]] = bias
    return out.reshape(-1)
