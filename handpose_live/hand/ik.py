"""Inverse kinematics: the hand state (rotation, wrist position, 22 joint angles) whose joints come
closest to any 21 target joints, within the joint limits (SPEC §8's start of the fit).

It turns a network's joints into a valid hand: bones of the shape's lengths, reachable angles.
The rigid part starts from the palm (Kabsch on the wrist and the five finger bases), then
Levenberg–Marquardt with fixed per-DOF damping, the angles projected onto their limits after
every step (htrack's ratios: rotation damped far more than translation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.hand.jacobians import HandState, rotation_exp
from handpose_live.hand.kinematics import forward_kinematics
from handpose_live.hand.kinematics_jit import joints_and_jacobian_jit
from handpose_live.hand.limits import clip_to_limits
from handpose_live.hand.pose import NUM_DOF, HandPose, angles_pose, pose_angles
from handpose_live.hand.shape import HandShape
from handpose_live.joints import NUM_JOINTS, Joint

# Joints fixed in the palm: the rigid start aligns these.
PALM_JOINTS = (Joint.WRIST, Joint.THUMB_CMC, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP)


def _damping() -> np.ndarray:
    """Fixed LM damping per DOF (added to JᵀJ, whose entries are mm² per unit step)."""
    d = np.empty(NUM_DOF)
    d[0:3] = 1e-2  # translation: the data decide
    d[3:6] = 1e3  # rotation: one radian moves the fingertips ~150 mm, so JᵀJ is ~1e5 there
    d[6:8] = 1e12  # wrist: it moves no joint, so nothing may change it
    d[8:] = 50.0  # finger angles
    return d


DAMPING = _damping()


@dataclass(frozen=True)
class IKResult:
    """The state found, its joints and how far they are from the targets."""

    state: HandState
    joints_mm: np.ndarray  # (21, 3) camera frame
    rms_mm: float  # weighted root-mean-square joint distance to the targets
    iterations: int


def kabsch(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The proper rotation R and translation t that best map `source` points onto `target`."""
    cs, ct = source.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((source - cs).T @ (target - ct))
    flip = np.diag([1.0, 1.0, np.sign(np.linalg.det(vt.T @ u.T))])
    r = vt.T @ flip @ u.T
    return r, ct - r @ cs


def _clip(angles: np.ndarray) -> np.ndarray:
    """Angles (rad, DOF order) projected onto the joint limits; the wrist stays where it is."""
    pose = angles_pose(angles)
    return pose_angles(HandPose(clip_to_limits(pose.fingers), pose.wrist))


def rigid_start(targets_mm: np.ndarray, shape: HandShape, angles: np.ndarray | None = None) -> HandState:
    """The hand at `angles` (default: all zero, an open flat hand) placed on the targets' palm."""
    angles = np.zeros(22) if angles is None else np.asarray(angles, float)
    hand = forward_kinematics(shape, angles_pose(angles))  # mirrored already for a left hand
    palm = list(map(int, PALM_JOINTS))
    rotation, translation = kabsch(hand[palm], np.asarray(targets_mm, float)[palm])
    return HandState(rotation, translation, _clip(angles))


def inverse_kinematics(targets_mm: np.ndarray, shape: HandShape, weights: np.ndarray | None = None,
                       start: HandState | None = None, iterations: int = 20) -> IKResult:
    """The state of `shape` whose joints best match `targets_mm` (21, 3), within the limits.

    Args:
        weights: per joint (21,), default 1; a joint with weight 0 (or a NaN target) is ignored.
        start: where to begin (default: `rigid_start`, the open hand on the targets' palm).
    """
    targets = np.asarray(targets_mm, np.float64)
    if targets.shape != (NUM_JOINTS, 3):
        raise ValueError(f"inverse kinematics takes 21 target joints (21, 3), got {targets.shape}")
    w = np.ones(NUM_JOINTS) if weights is None else np.asarray(weights, np.float64).copy()
    missing = ~np.all(np.isfinite(targets), axis=1)
    w[missing] = 0.0
    targets = np.where(missing[:, None], 0.0, targets)
    state = start if start is not None else rigid_start(targets, shape)
    w3 = np.repeat(w, 3)
    done = 0
    for done in range(1, iterations + 1):
        joints, jac = joints_and_jacobian_jit(shape, state)
        r = (targets - joints).ravel()
        j = jac.reshape(-1, NUM_DOF)
        jw = j * w3[:, None]
        step = np.linalg.solve(jw.T @ j + np.diag(DAMPING), jw.T @ r)
        rot = step[3:6]
        norm = float(np.linalg.norm(rot))
        if norm > 0.5:  # a turn of more than ~30° in one step leaves the linear model's reach
            step[3:6] *= 0.5 / norm
        state = HandState(rotation_exp(step[3:6]) @ state.rotation, state.translation + step[:3],
                          _clip(state.angles + step[6:]))
        if np.abs(step[:3]).max() < 1e-3 and np.abs(step[3:]).max() < 1e-5:
            break
    joints = joints_and_jacobian_jit(shape, state)[0]
    err = np.sum(w * np.sum((joints - targets) ** 2, axis=1)) / max(w.sum(), 1e-9)
    return IKResult(state, joints, float(np.sqrt(err)), done)

