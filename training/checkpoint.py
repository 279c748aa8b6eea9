"""Resumable training state without pickles: tensors in safetensors, the rest in JSON.

``OUT/checkpoint/`` holds the model folder being trained plus ``optimizer.safetensors`` and
``state.json`` (step, epoch, batch position, best score, RNG states, optimiser hyper-parameters),
and ``averaged.safetensors`` when the run keeps a weight average (``--ema-decay``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import torch

AVERAGED_NAME = "averaged.safetensors"


def save_checkpoint(
    folder: Path,
    model,
    optimizer: torch.optim.Optimizer,
    state: dict[str, Any],
    averaged: dict[str, torch.Tensor] | None = None,
) -> None:
    from safetensors.torch import save_file

    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    opt = optimizer.state_dict()
    tensors = {}
    for index, values in opt["state"].items():
        for name, value in values.items():
            tensors[f"{index}.{name}"] = (
                (value if torch.is_tensor(value) else torch.tensor(value))
                .detach()
                .cpu()
                .contiguous()
            )
    tensors["rng.torch"] = torch.get_rng_state()
    save_file(tensors, str(tmp / "optimizer.safetensors"))
    if averaged is not None:
        save_file(averaged, str(tmp / AVERAGED_NAME))
    state = dict(state)
    state["param_groups"] = opt["param_groups"]
    state["rng_python"] = list(random.getstate()[1]), random.getstate()[2]
    (tmp / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    # Swap in the complete checkpoint only once it is fully written, so a kill never leaves half of one.
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(folder: Path, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore optimiser and RNG state; returns the saved training state (model weights load separately)."""
    from safetensors.torch import load_file

    state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
    tensors = load_file(str(folder / "optimizer.safetensors"))
    per_param: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("rng."):
            continue
        index, name = key.split(".", 1)
        per_param.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": per_param, "param_groups": state["param_groups"]})
    torch.set_rng_state(tensors["rng.torch"])
    internal, gauss = state["rng_python"]
    random.setstate((3, tuple(internal), gauss))
    return state


def load_averaged(folder: Path) -> dict[str, torch.Tensor]:
    """The weight average a checkpoint holds; a clear error when it was saved without one."""
    from safetensors.torch import load_file

    path = folder / AVERAGED_NAME
    if not path.is_file():
        raise ValueError(
            f"{folder} holds no weight average ({AVERAGED_NAME}): it was not written by a run "
            "with --ema-decay. Pass --overwrite to start afresh"
        )
    return load_file(str(path))
