"""Fingers closed round a held object: the bends that lay each finger on a cylinder in the palm
(numpy only). Without this a held object's fingers keep their sampled pose and pass through it or
float in the air, where a real grip (FPHA's salt shaker) wraps them round it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.hand.limits import clip_to_limits
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import ABDUCTION_SIGN, BASE_FRAMES, HandShape
from handpose_live.joints import FINGER_JOINTS

# The bends tried (deg), every pair: the fingers' MCP and PIP flexion (the DIP follows at 2/3 of the
# PIP), the thumb's CMC and MCP flexion (the IP follows at the MCP's angle), 5° apart.
_FINGER_MCP = np.linspace(0.0, 90.0, 19)
_FINGER_PIP = np.linspace(0.0, 110.0, 23)
_THUMB_CMC = np.linspace(-10.0, 45.0, 12)
_THUMB_MCP = np.linspace(0.0, 60.0, 13)
_DISTAL = np.array([1.0] + [2.0 / 3.0] * 4)  # last bend over middle bend, thumb first
THUMB_MIN_ABDUCTION_DEG = 20.0
PENETRATION_WEIGHT = 30.0  # a finger inside the object costs this much more than one off its surface
BEND_NOISE_DEG = 5.0
# Which of a finger's points (its three joints past the base, then its three bone midpoints) should
# touch the object: the last phalanx; the rest only stays out of it.
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


def finger_chains(shape: HandShape, abduction_deg: np.ndarray, bends_deg: np.ndarray) -> np.ndarray:
    """Every finger's base and three further joints (N, 5, 4, 3), hand frame, for N candidate bends
    (N, 5, 2: base and middle flexion, the last joint following at `_DISTAL`) and the fingers'
    abduction (5,): `forward_kinematics`' chains, written for many bends at once. Flexion turns a
    finger in one plane of its base frame, so each joint is the base plus a planar sum of bones."""
    a = np.radians(-ABDUCTION_SIGN * np.asarray(abduction_deg, float))
    c, s = np.cos(a), np.sin(a)
    rz = np.zeros((5, 3, 3))
    rz[:, 0, 0], rz[:, 0, 1], rz[:, 1, 0], rz[:, 1, 1], rz[:, 2, 2] = c, -s, s, c, 1.0
    frames = BASE_FRAMES @ rz  # (5, 3, 3): each finger's frame before flexion
    b = np.radians(np.asarray(bends_deg, float))
    phi = np.cumsum(np.stack([b[..., 0], b[..., 1], _DISTAL * b[..., 1]], axis=-1), axis=-1)  # (N, 5, 3)
    bones = shape.bone_lengths[None, :, :, None] * np.stack([np.zeros_like(phi), np.cos(phi), np.sin(phi)], -1)
    local = np.concatenate([np.zeros(phi.shape[:2] + (1, 3)), np.cumsum(bones, axis=2)], axis=2)  # (N, 5, 4, 3)
    joints = shape.base_positions[None, :, None, :] + np.einsum("fij,nfkj->nfki", frames, local)
    if shape.left:
        joints[..., 0] *= -1.0
    return joints


def _pairs(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(N, 2) every pair of one value of `first` and one of `second`."""
    return np.stack(np.meshgrid(first, second, indexing="ij"), -1).reshape(-1, 2)


_FINGER_BENDS = _pairs(_FINGER_MCP, _FINGER_PIP)
_THUMB_BENDS = _pairs(_THUMB_CMC, _THUMB_MCP)


def _costs(shape: HandShape, abduction_deg: np.ndarray, bends: np.ndarray, held: Cylinder) -> np.ndarray:
    """(N, 5) how badly each finger's candidate bend lies on `held`: entering it, or its last phalanx off it."""
    chains = finger_chains(shape, abduction_deg, bends)
    points = np.concatenate([chains[:, :, 1:], 0.5 * (chains[:, :, :-1] + chains[:, :, 1:])], axis=2)
    r = shape.joint_radii[np.array(FINGER_JOINTS)]  # (5, 4)
    radii = np.concatenate([r[:, 1:], 0.5 * (r[:, :-1] + r[:, 1:])], axis=1)
    g = held.gap(points, radii[None])
    return np.sum(np.where(g < 0.0, PENETRATION_WEIGHT * g * g, CONTACT * g * g), axis=-1)


def wrap_fingers(shape: HandShape, pose: HandPose, held: Cylinder, rng: np.random.Generator) -> HandPose:
    """`pose` with every finger bent round `held` (hand frame): per finger, the candidate bend whose last
    phalanx touches the object most closely while no joint or bone midpoint enters it, plus a little noise.
    Abduction and the wrist stay as sampled (the thumb's abduction at least opposed)."""
    angles = np.array(pose.fingers, float)
    angles[0, 1] = max(angles[0, 1], THUMB_MIN_ABDUCTION_DEG)
    thumb = _THUMB_BENDS[np.argmin(_costs(shape, angles[:, 1], np.repeat(_THUMB_BENDS[:, None], 5, 1), held)[:, 0])]
    fingers = _costs(shape, angles[:, 1], np.repeat(_FINGER_BENDS[:, None], 5, 1), held)[:, 1:]
    best = np.concatenate([thumb[None], _FINGER_BENDS[np.argmin(fingers, axis=0)]])  # (5, 2)
    best = best + rng.normal(0.0, BEND_NOISE_DEG, best.shape)
    angles[:, 0], angles[:, 2], angles[:, 3] = best[:, 0], best[:, 1], _DISTAL * best[:, 1]
    return HandPose(clip_to_limits(angles), pose.wrist)
