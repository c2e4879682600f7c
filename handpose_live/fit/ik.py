"""Inverse kinematics: the hand state (rotation, wrist position, 22 joint angles) whose joints come
closest to any 21 target joints, within the joint limits (SPEC §8's start of the fit).

It turns a network's joints into a valid hand: bones of the shape's lengths, reachable angles.
The rigid part starts from the palm (`hand.ik.rigid_start`, Kabsch on the wrist and the five
finger bases); then the fit's own compiled solve runs with the keypoint term alone, fixed
per-DOF damping (rotation damped far more than translation) and the angles projected onto
their limits after every step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.fit.model import palm_cones
from handpose_live.fit.solver import NO_DISTANCE, NO_POINTS, NO_WINDOW, damping, problem, solve
from handpose_live.hand.ik import rigid_start
from handpose_live.hand.jacobians import HandState
from handpose_live.hand.shape import HandShape
from handpose_live.joints import NUM_JOINTS

DAMPING = damping(translation=1e-2, rotation=1e3, flexion=50.0, abduction=50.0, distal=50.0)
KEYPOINTS_ONLY = (0.0, 1.0, 0.0, 0.0, 0.0, 0.0)  # the solve's weights: data, keypoints, silhouette, ...


@dataclass(frozen=True)
class IKResult:
    """The state found, its joints and how far they are from the targets."""

    state: HandState
    joints_mm: np.ndarray  # (21, 3) camera frame
    rms_mm: float  # weighted root-mean-square joint distance to the targets (inf when none is given)


def inverse_kinematics(targets_mm: np.ndarray, shape: HandShape, weights: np.ndarray | None = None,
                       start: HandState | None = None, iterations: int = 20,
                       palm: np.ndarray | None = None) -> IKResult:
    """The state of `shape` whose joints best match `targets_mm` (21, 3), within the limits.

    Args:
        weights: per joint (21,), default 1; a joint with weight 0 (or a NaN target) is ignored.
        start: where to begin (default: `rigid_start`, the open hand on the targets' palm).
        iterations: LM iterations after the rigid one.
        palm: `model.palm_cones(shape)`, when the caller has it already.
    """
    targets = np.asarray(targets_mm, np.float64)
    if targets.shape != (NUM_JOINTS, 3):
        raise ValueError(f"inverse kinematics takes 21 target joints (21, 3), got {targets.shape}")
    w = np.ones(NUM_JOINTS) if weights is None else np.asarray(weights, np.float64).copy()
    given = np.all(np.isfinite(targets), axis=1) & (w > 0)
    w[~given] = 0.0
    state = start if start is not None else rigid_start(np.where(given[:, None], targets, 0.0), shape)
    keypoints = problem(shape, palm_cones(shape) if palm is None else palm, NO_POINTS, targets, w, NO_DISTANCE,
                        NO_WINDOW, np.zeros(4), KEYPOINTS_ONLY, DAMPING)
    state, joints, _, _ = solve(keypoints, state, 1, iterations)
    if not given.any():
        return IKResult(state, joints, float("inf"))
    err = np.sum(w[given] * np.sum((joints[given] - targets[given]) ** 2, axis=1)) / w[given].sum()
    return IKResult(state, joints, float(np.sqrt(err)))
