"""The hand's pose as joint angles: every finger (thumb included) a base joint with flexion and
abduction and two hinges; the wrist's flexion and deviation. Degrees, flexion positive towards
the palm (SPEC §5)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HandPose:
    """Joint angles in degrees: per finger (thumb first) base flexion, base abduction,
    middle flexion, distal flexion; wrist flexion and deviation."""

    fingers: np.ndarray  # (5, 4)
    wrist: np.ndarray  # (2,)


# The 28 degrees of freedom the fit solves for (SPEC §8), in this order:
#   0-2  translation of the wrist in the camera frame (mm)
#   3-5  a small rotation of the whole hand about the camera axes (rad; applied as exp([δ]×)·R)
#   6-7  wrist flexion, deviation (rad; they move the forearm, not the joints)
#   8-27 per finger, thumb first: base flexion, base abduction, middle flexion, distal flexion (rad)
NUM_DOF = 28
DOF_TRANSLATION = slice(0, 3)
DOF_ROTATION = slice(3, 6)
DOF_ANGLES = slice(6, 28)  # the 22 joint angles: wrist (2), then fingers (5 × 4)
NUM_ANGLES = 22


def pose_angles(pose: HandPose) -> np.ndarray:
    """The 22 joint angles of a pose in radians, in DOF order (wrist, then fingers)."""
    return np.radians(np.concatenate([np.asarray(pose.wrist, float), np.asarray(pose.fingers, float).ravel()]))


def angles_pose(angles: np.ndarray) -> HandPose:
    """The HandPose (degrees) of 22 joint angles in radians."""
    deg = np.degrees(np.asarray(angles, float))
    return HandPose(deg[2:].reshape(5, 4), deg[:2].copy())
