"""What a calibration asks the user and how far it has got (text only: the window's panel and
`calibrate`'s progress line both use it)."""
from __future__ import annotations

import numpy as np

from handpose_live.hand.shape import FACTOR_NAMES

# What the user is asked to do, in turn: each pose informs other factors (straight fingers their
# lengths, a fist the palm, spread fingers their bases).
PROMPTS = ("open your hand, fingers straight, palm to the camera", "make a fist", "spread your fingers wide")
PROMPT_FRAMES = 90  # frames per prompt (3 s at 30 fps)
# Per factor: a factor this informed is known (fit/calibrate.py caps one frame's total at 2e4).
INFORMATION_TARGET = 2e4


def progress_text(information: np.ndarray) -> str:
    """Per factor, how informed it is (0-100 %)."""
    done = np.minimum(information / INFORMATION_TARGET, 1.0)
    return " ".join(f"{n.split('_')[0]} {d:.0%}" for n, d in zip(FACTOR_NAMES, done))


def prompt_for(frame: int) -> str:
    """What the user is asked to do at this frame of a calibration."""
    return PROMPTS[(frame // PROMPT_FRAMES) % len(PROMPTS)]


def complete(information: np.ndarray) -> bool:
    """Whether every factor is known."""
    return bool(np.all(information >= INFORMATION_TARGET))
