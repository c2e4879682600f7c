"""The rigid start of inverse kinematics: the hand placed on 21 target joints by its palm (Kabsch
on the wrist and the five finger bases). The rest of the IK is the fit's compiled solve with its
keypoint term alone (`fit/ik.py`)."""
from __future__ import annotations

import numpy as np

from handpose_live.hand.jacobians import HandState
from handpose_live.hand.kinematics import forward_kinematics
from handpose_live.hand.limits import clip_to_limits
from handpose_live.hand.pose import HandPose, angles_pose, pose_angles
from handpose_live.hand.shape import HandShape
from handpose_live.joints import Joint

# Joints fixed in the palm: the rigid start aligns these.
PALM_JOINTS = (Joint.WRIST, Joint.THUMB_CMC, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP)


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
