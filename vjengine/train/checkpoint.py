"""Save and restore a training run (weights, Adam moments, random stream, history) as safetensors."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from vjengine.errors import InputError
from vjengine.train.loop import Trainer

FORMAT = "vjengine-train-checkpoint"


def _identity(trainer: Trainer) -> str:
    """What must match to resume: the recipe (except the step count) and the guide."""
    recipe = {k: v for k, v in trainer.recipe.table().items() if k != "steps"}
    return json.dumps({"recipe": recipe, "guide": trainer.guide.table()}, sort_keys=True)


def save_checkpoint(path: str | Path, trainer: Trainer) -> None:
    """Write the run's state atomically (a crash mid-write keeps the previous checkpoint)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in trainer.model.state_dict().items()}
    names = [name for name, _ in trainer.model.named_parameters()]
    for index, name in enumerate(names):
        state = trainer.optimizer.state.get(trainer.optimizer.param_groups[0]["params"][index], {})
        for moment in ("exp_avg", "exp_avg_sq"):
            if moment in state:
                tensors[f"adam.{name}.{moment}"] = state[moment].detach().cpu().contiguous()
    tensors["rng"] = trainer.generator.get_state()
    for key, values in trainer.history.items():
        tensors[f"history.{key}"] = torch.tensor(values, dtype=torch.float64)
    metadata = {"format": FORMAT, "step": str(trainer.step), "identity": _identity(trainer)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: str | Path, trainer: Trainer) -> None:
    """Restore a run saved by save_checkpoint into a fresh Trainer built with the same recipe."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--resume: no checkpoint at {path} (train without --resume first)")
    try:
        tensors = load_file(path)
        with safe_open(path, "pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise InputError(f"{path}: unreadable checkpoint ({str(exc).splitlines()[0]})") from None
    if metadata.get("format") != FORMAT:
        raise InputError(f"{path}: not a training checkpoint (format {metadata.get('format')!r})")
    saved, current = json.loads(metadata["identity"]), json.loads(_identity(trainer))
    if saved != current:
        differ = sorted(key for part in ("recipe", "guide")
                        for key in set(saved[part]) | set(current[part])
                        if saved[part].get(key) != current[part].get(key))
        raise InputError(f"{path}: --resume with different settings ({', '.join(differ)}); "
                         f"use the original options or train without --resume")
    device = next(trainer.model.parameters()).device
    trainer.model.load_state_dict({k[len("model."):]: v for k, v in tensors.items()
                                   if k.startswith("model.")})
    step = int(metadata["step"])
    state = {}
    for index, (name, _) in enumerate(trainer.model.named_parameters()):
        if f"adam.{name}.exp_avg" in tensors:
            state[index] = {"step": torch.tensor(float(step)),
                            "exp_avg": tensors[f"adam.{name}.exp_avg"].to(device),
                            "exp_avg_sq": tensors[f"adam.{name}.exp_avg_sq"].to(device)}
    trainer.optimizer.load_state_dict({"state": state,
                                       "param_groups": trainer.optimizer.state_dict()["param_groups"]})
    trainer.generator.set_state(tensors["rng"])
    trainer.history = {key[len("history."):]: value.tolist() for key, value in tensors.items()
                       if key.startswith("history.")}
    trainer.step = step
