"""The posed hand's Jacobians (numpy and compiled), and inverse kinematics from 21 joints."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from handpose_live.fit.ik import inverse_kinematics
from handpose_live.hand.ik import rigid_start
from handpose_live.hand.jacobians import (
    HandState,
    apply_step,
    joints_and_jacobian,
    point_jacobian,
    posed_joints,
    rotation_exp,
)
from handpose_live.hand.kinematics_jit import joints_and_jacobian_jit
from handpose_live.hand.limits import LIMITS_HI, LIMITS_LO, clip_to_limits
from handpose_live.hand.pose import HandPose, angles_pose, pose_angles
from handpose_live.hand.shape import HandShape, sample_shape
from handpose_live.synthetic.poses import GESTURES, sample_pose


def _state(rng, gesture="claw", spread=5.0) -> HandState:
    # Within the limits, as IK keeps its answers.
    pose = HandPose(clip_to_limits(GESTURES[gesture] + rng.normal(0.0, spread, (5, 4))), np.array([10.0, -5.0]))
    return HandState(rotation_exp(rng.normal(size=3)), np.array([15.0, -30.0, 420.0]), pose_angles(pose))


@pytest.mark.parametrize("left", [False, True])
def test_joint_jacobian_matches_finite_differences(left):
    rng = np.random.default_rng(4)
    shape, state = sample_shape(rng, left=left), _state(rng)
    _, jac = joints_and_jacobian(shape, state)
    eps = 1e-6
    for d in range(28):
        step = np.zeros(28)
        step[d] = eps
        numeric = (posed_joints(shape, apply_step(state, step)) - posed_joints(shape, apply_step(state, -step))) / (2 * eps)
        assert np.abs(numeric - jac[:, :, d]).max() < 1e-5, f"DOF {d}"
    assert np.abs(jac[:, :, 6:8]).max() == 0.0  # the wrist moves the forearm, not the joints


def test_surface_points_move_with_their_bone():
    rng = np.random.default_rng(5)
    shape, state = HandShape.default(), _state(rng, "open")
    joints = posed_joints(shape, state)
    # A point a third of the way along the index's middle bone (segment 1 + 3·1 + 1).
    point = joints[6] + (joints[7] - joints[6]) / 3.0
    jac = point_jacobian(point[None], np.array([5]), shape, state)[0]
    eps = 1e-6
    for d in (8 + 4, 8 + 5, 8 + 6, 8 + 7, 3, 0):
        step = np.zeros(28)
        step[d] = eps
        moved = [posed_joints(shape, apply_step(state, s * step)) for s in (1, -1)]
        numeric = [(m[6] + (m[7] - m[6]) / 3.0) for m in moved]
        assert np.allclose((numeric[0] - numeric[1]) / (2 * eps), jac[:, d], atol=1e-5), f"DOF {d}"
    assert np.abs(jac[:, 8 + 7]).max() == 0.0  # the distal hinge is beyond the middle bone


@pytest.mark.parametrize("left", [False, True])
def test_numba_and_numpy_agree(left):
    rng = np.random.default_rng(6)
    for gesture in ("open", "fist", "ok", "pinch"):
        shape, state = sample_shape(rng, left=left), _state(rng, gesture)
        a, ja = joints_and_jacobian(shape, state)
        b, jb = joints_and_jacobian_jit(shape, state)
        assert np.abs(a - b).max() < 1e-9 and np.abs(ja - jb).max() < 1e-9


@pytest.mark.parametrize("left", [False, True])
def test_ik_recovers_the_pose_of_rendered_joints(left):
    rng = np.random.default_rng(7)
    for _ in range(10):
        shape = sample_shape(rng, left=left)
        truth = HandState(rotation_exp(rng.normal(size=3)), rng.normal(0, 40, 3) + [0, 0, 450],
                          pose_angles(sample_pose(rng)))
        result = inverse_kinematics(posed_joints(shape, truth), shape)
        assert result.rms_mm < 0.01
        assert np.abs(result.joints_mm - posed_joints(shape, truth)).max() < 0.05


def test_ik_gives_a_valid_hand_for_impossible_joints():
    rng = np.random.default_rng(8)
    shape = HandShape.default()
    truth = _state(rng, "open", spread=0.0)
    targets = posed_joints(shape, truth)
    targets[8] += [0.0, 0.0, -60.0]  # an index tip bent 60 mm backwards: beyond any joint limit
    targets[12] *= 1.3  # a middle tip far off its bone
    result = inverse_kinematics(targets, shape)
    fingers = angles_pose(result.state.angles).fingers
    assert np.all(fingers >= LIMITS_LO - 1e-6) and np.all(fingers <= LIMITS_HI + 1e-6)
    bones = np.linalg.norm(np.diff(result.joints_mm[[5, 6, 7, 8]], axis=0), axis=1)
    assert np.allclose(bones, shape.bone_lengths[1])  # the bones keep their lengths
    assert np.linalg.norm(result.joints_mm[0] - targets[0]) < 10.0  # the rest still fits


def test_ik_ignores_missing_joints_and_checks_its_input():
    rng = np.random.default_rng(9)
    shape = HandShape.default()
    truth = _state(rng, "point")
    targets = posed_joints(shape, truth)
    targets[[4, 20]] = np.nan
    result = inverse_kinematics(targets, shape)
    assert np.all(np.isfinite(result.joints_mm)) and result.rms_mm < 0.01
    with pytest.raises(ValueError, match="21 target joints"):
        inverse_kinematics(targets[:14], shape)
    start = rigid_start(posed_joints(shape, truth), replace(shape, left=True))
    assert np.isclose(np.linalg.det(start.rotation), 1.0)  # a proper rotation for a mirrored hand too
