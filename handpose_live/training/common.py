"""Plumbing shared by the training loops: device choice, atomic checkpoints, CSV logs."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import torch

from handpose_live.errors import UserError
from handpose_live.model.com_refiner import ComRefiner, ComRefinerConfig
from handpose_live.model.jgr_p2o import JGRP2O, JGRP2OConfig


def pick_device(name: str) -> torch.device:
    """'auto' → CUDA if available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but no CUDA GPU is available")
    return torch.device(name)


def save_atomic(obj: dict, path: Path) -> None:
    """torch.save through a temporary file, so a checkpoint is never half written."""
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def append_csv(path: Path, header: list[str], row: list) -> None:
    """Append a row to a CSV log, writing the header first when the file is new."""
    new = not path.exists()
    with path.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(header)
        w.writerow(row)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """A checkpoint dict written by a handpose-live training loop."""
    return torch.load(path, map_location=map_location, weights_only=False)


class CheckpointError(UserError):
    """A file that is missing or is not a checkpoint written by a handpose-live training loop."""


def save_weights(checkpoint: Path, out: Path, force: bool = False) -> None:
    """Write `checkpoint`'s network (architecture, weights, configuration, settings) to `out`, without
    the optimiser state: the file another run starts from (`--init`). CheckpointError for a bad
    checkpoint or an existing `out` without `force`."""
    out = Path(out)
    if out.exists() and not force:
        raise CheckpointError(f"{out} already exists; add --force to replace it")
    _, ckpt = _read_trained(checkpoint)  # one sentence for a file that is not a checkpoint
    save_atomic({k: ckpt[k] for k in ("architecture", "model", "config", "settings") if k in ckpt}, out)


def load_trained(checkpoint: Path) -> tuple[JGRP2O | ComRefiner, dict]:
    """The network of a training checkpoint (eval mode, CPU) and the checkpoint's settings; raises
    CheckpointError for a missing, foreign, truncated or damaged file."""
    model, ckpt = _read_trained(checkpoint)
    return model, ckpt.get("settings", {})


def _read_trained(checkpoint: Path) -> tuple[JGRP2O | ComRefiner, dict]:
    """`load_trained`'s network and the whole checkpoint dict it came from, read once."""
    checkpoint = Path(checkpoint)
    if not checkpoint.is_file():
        raise CheckpointError(f"checkpoint {checkpoint} does not exist")
    try:
        ckpt = load_checkpoint(checkpoint)
        arch = ckpt.get("architecture", "jgr_p2o")  # early checkpoints were all JGR-P2O
        if arch == "jgr_p2o":
            model: JGRP2O | ComRefiner = JGRP2O(JGRP2OConfig(**ckpt["config"]))
        elif arch == "com_refiner":
            model = ComRefiner(ComRefinerConfig.from_dict(ckpt["config"]))
        else:
            raise KeyError(f"unknown architecture {arch!r}")
        model.load_state_dict(ckpt["model"])
    # torch.load and the pickles inside raise almost any type for a file that is not ours.
    except Exception as e:  # noqa: BLE001
        raise CheckpointError(f"{checkpoint} is not a readable handpose-live checkpoint "
                              f"({type(e).__name__})") from None
    return model.float().eval(), ckpt
