"""Joints and surface points of the posed hand in the camera frame, with their Jacobians with
respect to the 28 DOF of `pose.py` (numpy; the compiled twin is `kinematics_jit.py`).

Every point rides on one segment: 0 the palm (moved by the global DOF only), 1 + 3·f + k the
k-th bone of finger f (thumb f = 0). A joint angle turns everything beyond it about its axis, so
its Jacobian column for a point p is axis × (p − pivot), with the axis and pivot in the camera
frame; the global rotation's columns are e_i × (p − t).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.hand.kinematics import forward_kinematics
from handpose_live.hand.pose import NUM_DOF, angles_pose
from handpose_live.hand.shape import ABDUCTION_SIGN, BASE_FRAMES, HandShape
from handpose_live.joints import FINGER_JOINTS, NUM_JOINTS

NUM_SEGMENTS = 16  # the palm and 5 × 3 finger bones
# The segment each joint rides on: wrist and base joints on the palm, then each bone's far end.
JOINT_SEGMENT = np.zeros(NUM_JOINTS, np.int64)
for _f, _chain in enumerate(FINGER_JOINTS):
    for _k in range(3):
        JOINT_SEGMENT[_chain[_k + 1]] = 1 + 3 * _f + _k


def _dof(finger: int, k: int) -> int:
    """The DOF index of finger `finger`'s angle `k` (0 base flexion, 1 abduction, 2 middle, 3 distal)."""
    return 8 + 4 * finger + k


@dataclass(frozen=True)
class HandState:
    """Where the hand is: its rotation R (hand frame → camera), the wrist's position t (mm), and the
    22 joint angles (rad, DOF order). A point q of the hand frame is at R·M·q + t, M mirroring x
    for a left hand."""

    rotation: np.ndarray  # (3, 3)
    translation: np.ndarray  # (3,)
    angles: np.ndarray  # (22,)


def joint_axes(shape: HandShape, state: HandState) -> tuple[np.ndarray, np.ndarray]:
    """Axes (28, 3) and pivots (28, 3) of the joint DOF in the camera frame (rows 8-27 used; the
    wrist rows stay zero: the wrist turns the forearm, which carries no joint)."""
    pose = angles_pose(state.angles)
    ang = np.radians(pose.fingers)
    mirror = np.diag([-1.0, 1.0, 1.0]) if shape.left else np.eye(3)
    # A mirror flips the sense of every rotation: the axis that turns p as a × (p − o) changes sign.
    to_camera = state.rotation @ mirror
    sense = -1.0 if shape.left else 1.0
    hand_joints = forward_kinematics(shape, pose)  # mirrored already for a left hand
    axes, pivots = np.zeros((NUM_DOF, 3)), np.zeros((NUM_DOF, 3))
    for f, chain in enumerate(FINGER_JOINTS):
        s = ABDUCTION_SIGN[f]
        c, sn = np.cos(-s * ang[f, 1]), np.sin(-s * ang[f, 1])
        rz = np.array([[c, -sn, 0.0], [sn, c, 0.0], [0.0, 0.0, 1.0]])
        frame = BASE_FRAMES[f]
        after_abduction = frame @ rz
        local = [(frame[:, 2] * -s, 0), (after_abduction[:, 0], 0)]  # abduction, then base flexion
        rot = after_abduction
        for k, flex in ((0, ang[f, 0]), (1, ang[f, 2])):
            cx, sx = np.cos(flex), np.sin(flex)
            rot = rot @ np.array([[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]])
            local.append((rot[:, 0], k + 1))  # the next hinge turns about the bone's lateral axis
        base_abd, base_flex, middle, distal = local
        for dof_k, (axis, at) in zip((1, 0, 2, 3), (base_abd, base_flex, middle, distal)):
            d = _dof(f, dof_k)
            axes[d] = sense * (to_camera @ axis)
            pivots[d] = state.rotation @ hand_joints[chain[at]] + state.translation
    return axes, pivots


def segment_dofs(segment: int) -> list[int]:
    """The joint DOF that move points of `segment` (the global DOF move every point)."""
    if segment == 0:
        return []
    f, k = divmod(segment - 1, 3)
    return [_dof(f, 0), _dof(f, 1)] + [_dof(f, 2)] * (k >= 1) + [_dof(f, 3)] * (k >= 2)


def posed_joints(shape: HandShape, state: HandState) -> np.ndarray:
    """The 21 joints (21, 3) in the camera frame, mm."""
    return forward_kinematics(shape, angles_pose(state.angles)) @ state.rotation.T + state.translation


def point_jacobian(points: np.ndarray, segments: np.ndarray, shape: HandShape, state: HandState) -> np.ndarray:
    """d point / d DOF (N, 3, 28) of camera-frame points riding on `segments` (N,), per mm or rad."""
    points = np.asarray(points, float)
    axes, pivots = joint_axes(shape, state)
    jac = np.zeros((len(points), 3, NUM_DOF))
    jac[:, :, 0:3] = np.eye(3)
    rel = points - state.translation
    for i in range(3):
        jac[:, :, 3 + i] = np.cross(np.eye(3)[i], rel)
    for n, seg in enumerate(segments):
        for d in segment_dofs(int(seg)):
            jac[n, :, d] = np.cross(axes[d], points[n] - pivots[d])
    return jac


def joints_and_jacobian(shape: HandShape, state: HandState) -> tuple[np.ndarray, np.ndarray]:
    """The 21 camera-frame joints and their Jacobian (21, 3, 28)."""
    joints = posed_joints(shape, state)
    return joints, point_jacobian(joints, JOINT_SEGMENT, shape, state)


def rotation_exp(omega: np.ndarray) -> np.ndarray:
    """exp([ω]×): the rotation by |ω| radians about ω (Rodrigues)."""
    omega = np.asarray(omega, float)
    angle = float(np.linalg.norm(omega))
    if angle < 1e-12:
        return np.eye(3)
    k = omega / angle
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    return np.eye(3) + np.sin(angle) * kx + (1.0 - np.cos(angle)) * kx @ kx


def apply_step(state: HandState, delta: np.ndarray) -> HandState:
    """The state moved by a 28-DOF step: translation and angles added, rotation composed on the left."""
    delta = np.asarray(delta, float)
    return HandState(rotation_exp(delta[3:6]) @ state.rotation, state.translation + delta[0:3],
                     state.angles + delta[6:])
