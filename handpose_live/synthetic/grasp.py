"""Fingers closed round a held object: the bends that lay each finger on a cylinder in the palm
(numpy only). Without this a held object's fingers keep their sampled pose and pass through it or
float in the air, where a real grip (FPHA's salt shaker) wraps them round it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.hand.kinematics import forward_kinematics
from handpose_live.hand.limits import clip_to_limits
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import HandShape
from handpose_live.joints import FINGER_JOINTS

# The bends tried (deg): fingers' MCP and PIP flexion (DIP follows at 2/3 of the PIP); the thumb's
# CMC flexion and MCP flexion (IP follows at the same angle), its abduction kept opposed.
_FINGER_MCP = np.linspace(0.0, 90.0, 10)
_FINGER_PIP = np.linspace(0.0, 110.0, 12)
_THUMB_CMC = np.linspace(-10.0, 45.0, 10)
_THUMB_MCP = np.linspace(0.0, 60.0, 12)
THUMB_MIN_ABDUCTION_DEG = 20.0
PENETRATION_WEIGHT = 30.0  # a finger inside the object costs this much more than one off its surface
BEND_NOISE_DEG = 5.0
# Which of a finger's points (its PIP, DIP and tip, then its three bone midpoints) should touch the
# object: the last phalanx; the rest only stays out of it.
CONTACT = np.array([0.0, 0.3, 1.0, 0.0, 0.0, 1.0])


@dataclass(frozen=True)
class Cylinder:
    """A held object: a round cone from `a` to `b` (mm, one frame) of mean radius `radius`."""

    a: np.ndarray
    b: np.ndarray
    radius: float

    def moved(self, rotation: np.ndarray, offset: np.ndarray) -> Cylinder:
        """The same object in another frame: x → rotation @ x + offset."""
        return Cylinder(rotation @ self.a + offset, rotation @ self.b + offset, self.radius)

    def gap(self, points: np.ndarray, radii: np.ndarray) -> np.ndarray:
        """Surface-to-surface distance of spheres (points, radii) to the object; negative inside it."""
        ab = self.b - self.a
        t = np.clip(((points - self.a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
        nearest = self.a + t[..., None] * ab
        return np.linalg.norm(points - nearest, axis=-1) - self.radius - radii


def _grid() -> np.ndarray:
    """(N, 5, 4) finger angles: the n-th candidate bend of every finger at once (fingers are independent)."""
    fm, fp = np.meshgrid(_FINGER_MCP, _FINGER_PIP, indexing="ij")
    tc, tm = np.meshgrid(_THUMB_CMC, _THUMB_MCP, indexing="ij")
    n = fm.size
    if tc.size != n:
        raise ValueError("the thumb's and the fingers' bend grids must be of one size")
    grid = np.zeros((n, 5, 4))
    grid[:, 1:, 0] = fm.reshape(-1, 1)
    grid[:, 1:, 2] = fp.reshape(-1, 1)
    grid[:, 1:, 3] = 2.0 / 3.0 * fp.reshape(-1, 1)
    grid[:, 0, 0], grid[:, 0, 2], grid[:, 0, 3] = tc.ravel(), tm.ravel(), tm.ravel()
    return grid


_GRID = _grid()


def wrap_fingers(shape: HandShape, pose: HandPose, held: Cylinder, rng: np.random.Generator) -> HandPose:
    """`pose` with every finger bent round `held` (hand frame): per finger, the candidate bend whose last
    phalanx touches the object most closely while no joint or bone midpoint enters it, plus a little noise.
    Abduction and the wrist stay as sampled (the thumb's abduction at least opposed)."""
    base = np.array(pose.fingers, float)
    base[0, 1] = max(base[0, 1], THUMB_MIN_ABDUCTION_DEG)
    costs = np.zeros((len(_GRID), 5))
    radii = shape.joint_radii
    for n, bends in enumerate(_GRID):
        angles = base.copy()
        angles[:, [0, 2, 3]] = bends[:, [0, 2, 3]]
        joints = forward_kinematics(shape, HandPose(angles, pose.wrist))
        for f, chain in enumerate(FINGER_JOINTS):
            c = list(chain)
            pts = np.concatenate([joints[c[1:]], 0.5 * (joints[c[:-1]] + joints[c[1:]])])
            rad = np.concatenate([radii[c[1:]], 0.5 * (radii[c[:-1]] + radii[c[1:]])])
            g = held.gap(pts, rad)
            costs[n, f] = np.sum(np.where(g < 0.0, PENETRATION_WEIGHT * g * g, CONTACT * g * g))
    best = _GRID[np.argmin(costs, axis=0), np.arange(5)]  # (5, 4): each finger's own best candidate
    angles = base.copy()
    angles[:, [0, 2, 3]] = best[:, [0, 2, 3]] + rng.normal(0.0, BEND_NOISE_DEG, (5, 3))
    return HandPose(clip_to_limits(angles), pose.wrist)
