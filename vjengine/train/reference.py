"""Load a reference picture (an image prompt) as a float tensor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vjengine.errors import InputError

MAX_REFERENCE_PIXELS = 64 << 20


def load_reference(path: str | Path) -> torch.Tensor:
    """[3, H, W] float32 RGB in [0, 1]; raises InputError naming the file if it is not a picture."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"--image {path}: file not found (expected a PNG or JPEG picture)")
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_REFERENCE_PIXELS:
                raise InputError(f"--image {path}: {image.width}x{image.height} is too large")
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"--image {path}: not a readable picture ({exc})") from None
    return torch.from_numpy(rgb).permute(2, 0, 1).contiguous()


def square(reference: torch.Tensor, size: int) -> torch.Tensor:
    """The centre square of a [3, H, W] picture resized to [1, 3, size, size] (antialiased)."""
    from torchvision.transforms.v2 import functional as TF

    side = min(reference.shape[-2:])
    return TF.resize(TF.center_crop(reference, [side, side]), [size, size], antialias=True)[None]
