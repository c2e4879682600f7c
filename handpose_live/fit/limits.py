"""Joint limits (SPEC §5, hand/limits.py) kept exactly by projecting every step back inside them,
and the soft coupling DIP ≈ ⅔·PIP of the four fingers, added as rows."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import add_row, njit
from handpose_live.hand.limits import ABDUCTION_SHRINK, LIMITS_HI, LIMITS_LO

LO = np.radians(LIMITS_LO).ravel()  # (20,) in DOF order after the wrist
HI = np.radians(LIMITS_HI).ravel()


@njit
def project_limits(angles: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """Clip the 22 angles (wrist first) in place to the finger limits (hand.limits.clip_to_limits)."""
    for i in range(20):
        angles[2 + i] = min(max(angles[2 + i], lo[i]), hi[i])
    for f in range(1, 5):
        flex = min(max(angles[2 + 4 * f], 0.0), np.pi / 2)
        shrink = 1.0 - ABDUCTION_SHRINK * flex / (np.pi / 2)
        k = 2 + 4 * f + 1
        angles[k] = min(max(angles[k], lo[4 * f + 1] * shrink), hi[4 * f + 1] * shrink)


@njit
def add_dip_coupling(h: np.ndarray, g: np.ndarray, angles: np.ndarray, weight: float) -> float:
    """Rows weight·(DIP − ⅔·PIP)² of the four fingers (rad²); the energy."""
    row = np.zeros(28)
    idx = np.zeros(2, np.int64)
    energy = 0.0
    for f in range(1, 5):
        pip, dip = 8 + 4 * f + 2, 8 + 4 * f + 3
        row[dip], row[pip] = 1.0, -2.0 / 3.0
        idx[0], idx[1] = pip, dip
        r = (2.0 / 3.0) * angles[pip - 6] - angles[dip - 6]
        add_row(h, g, row, idx, 2, r, weight)
        energy += weight * r * r
    return energy
