"""The reference backend: the plain eager fp32 network, the ground truth and the naive baseline."""

from __future__ import annotations

import torch

from vjengine.model import coords
from vjengine.model.cppn import CPPN
from vjengine.render.backends.base import Backend, to_uint8
from vjengine.styles.store import Style


class ReferenceBackend(Backend):
    """The unsplit fp32 network on the whole frame at once, with torch's default threading."""

    name = "reference"

    def prepare(self, style: Style) -> CPPN:  # type: ignore[override]
        return style.model()

    def evaluate(self, styles, width, height, frame):
        grid = coords.grid(width, height, frame.transform)
        cond = torch.tensor(frame.conditioning, dtype=torch.float32)
        with torch.no_grad():
            return [to_uint8(net(grid, cond)).reshape(height, width, 3).numpy() for net in styles]
