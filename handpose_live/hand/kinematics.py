"""Forward kinematics of the hand (numpy): joint positions in the hand frame from a shape and a
pose, the forearm's direction, and the hand's reference point."""
from __future__ import annotations

import numpy as np

from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import ABDUCTION_SIGN, BASE_FRAMES, HandShape
from handpose_live.joints import FINGER_JOINTS, NUM_JOINTS, Joint


def _rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def forward_kinematics(shape: HandShape, pose: HandPose) -> np.ndarray:
    """Joint positions (21, 3) in the hand frame, canonical order."""
    joints = np.zeros((NUM_JOINTS, 3))
    ang = np.radians(pose.fingers)
    for f, chain in enumerate(FINGER_JOINTS):
        # Rz then Rx in the finger's own frame: abduction about its palmar axis, flexion about
        # its lateral axis (Rx turns +y towards +z, i.e. towards the palm).
        rot = BASE_FRAMES[f] @ _rot_z(-ABDUCTION_SIGN[f] * ang[f, 1]) @ _rot_x(ang[f, 0])
        p = shape.base_positions[f].copy()
        joints[chain[0]] = p
        for seg, flex in enumerate((None, ang[f, 2], ang[f, 3])):
            if flex is not None:
                rot = rot @ _rot_x(flex)
            p = p + rot[:, 1] * shape.bone_lengths[f, seg]
            joints[chain[seg + 1]] = p
    if shape.left:
        joints[:, 0] *= -1.0
    return joints


def forearm_direction(shape: HandShape, pose: HandPose) -> np.ndarray:
    """Unit direction from the wrist towards the elbow, in the hand frame."""
    # The wrist bends the hand relative to the forearm; seen from the hand, the forearm turns back.
    flex, dev = np.radians(pose.wrist)
    d = _rot_x(-flex) @ _rot_z(-dev) @ np.array([0.0, -1.0, 0.0])
    if shape.left:
        d[0] *= -1.0
    return d


def reference_point(joints_mm: np.ndarray) -> np.ndarray:
    """The hand's stable reference point, the crop centre in training: the middle-finger MCP."""
    return np.asarray(joints_mm)[..., int(Joint.MIDDLE_MCP), :]
