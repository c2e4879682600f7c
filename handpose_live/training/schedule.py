"""Learning-rate schedules of the training loop (no torch here: the CLI lists them without it)."""
from __future__ import annotations

import math
import time

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


class RunProgress:
    """How far through a whole run's schedule (0-1), across resumes: this run's share of what the
    earlier runs left, by steps or by its time budget when that ends sooner."""

    def __init__(self, start: float, steps_left: int, max_minutes: float | None) -> None:
        self.start = start
        self.steps_left = max(steps_left, 1)
        self.max_minutes = max_minutes
        self.steps_done = 0
        self.t0 = time.monotonic()

    def step(self) -> None:
        """Count one optimiser step."""
        self.steps_done += 1

    def over_time(self) -> bool:
        """Whether this run's time budget is spent."""
        return self.max_minutes is not None and time.monotonic() - self.t0 > 60 * self.max_minutes

    def fraction(self) -> float:
        """The schedule's progress now."""
        share = self.steps_done / self.steps_left
        if self.max_minutes is not None:
            share = max(share, (time.monotonic() - self.t0) / (60 * self.max_minutes))
        return self.start + (1.0 - self.start) * min(share, 1.0)
