"""Learning-rate schedules of the training loop (no torch here: the CLI lists them without it)."""
from __future__ import annotations

import math

SCHEDULES = ("step", "cosine")
WARMUP = 0.03  # of a cosine run: Adam's moments start from zero, also when the weights do not
FINAL_LR = 0.01  # a cosine run ends at this fraction of --lr


def cosine_lr(lr: float, progress: float) -> float:
    """The learning rate at `progress` (0-1) of a cosine run: a linear warm-up over WARMUP, then a
    half cosine down to FINAL_LR · lr."""
    if progress < WARMUP:
        return lr * (0.1 + 0.9 * progress / WARMUP)
    t = min((progress - WARMUP) / (1.0 - WARMUP), 1.0)
    return lr * (FINAL_LR + (1.0 - FINAL_LR) * 0.5 * (1.0 + math.cos(math.pi * t)))
