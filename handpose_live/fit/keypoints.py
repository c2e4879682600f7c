"""A prior toward the network's joints: strong on the wrist, palm and finger bases, weak on the
PIP, DIP and tips, where a network trained on synthetic depth is biased short (SPEC §8). The
same rows, toward the previous frame's fitted joints, make the temporal term in live mode."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import add_row, njit, point_row
from handpose_live.joints import FINGER_JOINTS, NUM_JOINTS

# Per joint weight of the network prior: base joints (and the wrist) 1, then 0.25, 0.1, 0.05 outwards.
NETWORK_WEIGHTS = np.ones(NUM_JOINTS)
for _chain in FINGER_JOINTS:
    NETWORK_WEIGHTS[list(_chain[1:])] = (0.25, 0.1, 0.05)

_E = np.eye(3)


@njit
def add_keypoints(h: np.ndarray, g: np.ndarray, joints: np.ndarray, targets: np.ndarray, weights: np.ndarray,
                  joint_segments: np.ndarray, axes: np.ndarray, pivots: np.ndarray, translation: np.ndarray,
                  scale: float) -> float:
    """Add scale·weights_j·‖target_j − joint_j‖² for every joint with a finite target; its energy."""
    row = np.zeros(28)
    idx = np.zeros(10, np.int64)
    energy = 0.0
    for j in range(joints.shape[0]):
        w = scale * weights[j]
        if w <= 0.0 or not (np.isfinite(targets[j, 0]) and np.isfinite(targets[j, 1]) and np.isfinite(targets[j, 2])):
            continue
        for c in range(3):
            count = point_row(_E[c], joints[j], joint_segments[j], axes, pivots, translation, row, idx)
            r = targets[j, c] - joints[j, c]
            add_row(h, g, row, idx, count, r, w)
            energy += w * r * r
    return energy
