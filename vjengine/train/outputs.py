"""Pictures a training run leaves behind: preview, audio-state strip and the training curve."""

from __future__ import annotations

import io

import numpy as np
import torch

from vjengine.model import conditioning
from vjengine.model.coords import IDENTITY
from vjengine.model.cppn import CPPN
from vjengine.modulate import FrameInputs, PostParams
from vjengine.render.evaluate import ReferenceBackend

PREVIEW_SIZE = 384
STRIP_TILE = 160
LABEL_HEIGHT = 18


def audio_state(**values: float) -> torch.Tensor:
    """The rest state with some slots changed, e.g. audio_state(bass=1.0, level=0.8)."""
    state = conditioning.rest_state()
    for name, value in values.items():
        state[conditioning.INDEX[name]] = value
    return state


def strip_states() -> list[tuple[str, torch.Tensor]]:
    """Named audio states the strip shows, from silence to a loud, busy moment."""
    return [
        ("rest", conditioning.rest_state()),
        ("bass", audio_state(bass=1.0, level=0.7)),
        ("onset", audio_state(onset=1.0, level=0.7)),
        ("half beat", audio_state(beat_sin=0.0, beat_cos=-1.0, level=0.5)),
        ("treble", audio_state(treble=1.0, level=0.6)),
        ("loud", audio_state(bass=0.9, mid=0.9, treble=0.9, onset=0.6, level=1.0,
                             time_sin=1.0, time_cos=0.0)),
    ]


def render_state(model: CPPN, state: torch.Tensor, width: int, height: int) -> np.ndarray:
    """uint8 [height, width, 3]: exactly what the engine's reference backend shows for the state."""
    frame = FrameInputs(t=0.0, conditioning=tuple(float(v) for v in state), transform=IDENTITY,
                        xfade=0.0, post=PostParams())
    return ReferenceBackend().evaluate([model.eval()], width, height, frame)[0]


def preview(model: CPPN, size: int = PREVIEW_SIZE) -> np.ndarray:
    """The style at rest (silence, phase zero)."""
    return render_state(model, conditioning.rest_state(), size, size)


def strip(model: CPPN, tile: int = STRIP_TILE) -> np.ndarray:
    """The style across strip_states() side by side, each labelled underneath."""
    from PIL import Image, ImageDraw

    states = strip_states()
    sheet = Image.new("RGB", (tile * len(states), tile + LABEL_HEIGHT), (16, 16, 16))
    draw = ImageDraw.Draw(sheet)
    for i, (label, state) in enumerate(states):
        sheet.paste(Image.fromarray(render_state(model, state, tile, tile)), (i * tile, 0))
        draw.text((i * tile + 4, tile + 3), label, fill=(220, 220, 220))
    return np.asarray(sheet)


def png_bytes(picture: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(picture).save(buffer, format="PNG")
    return buffer.getvalue()


def training_curve(history: dict[str, list[float]], similarity_label: str) -> bytes:
    """PNG of the loss and the similarity against the step."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.2), dpi=100)
    loss_axis = figure.add_subplot()
    steps = np.arange(1, len(history["loss"]) + 1)
    loss_axis.plot(steps, history["loss"], color="tab:red", linewidth=1)
    loss_axis.set_xlabel("step")
    loss_axis.set_ylabel("loss", color="tab:red")
    similarity_axis = loss_axis.twinx()
    similarity_axis.plot(steps, history["similarity"], color="tab:blue", linewidth=1)
    similarity_axis.set_ylabel(similarity_label, color="tab:blue")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
