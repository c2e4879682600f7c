import numpy as np
import pytest

from handpose_live.hand.kinematics import forearm_direction, forward_kinematics
from handpose_live.hand.limits import LIMITS_HI, LIMITS_LO, WRIST_LIMITS, clip_to_limits
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import HandShape, sample_shape
from handpose_live.joints import FINGER_JOINTS, Joint
from handpose_live.synthetic.poses import (
    GESTURES,
    sample_gesture,
    sample_pose,
    sample_synergy,
    sample_uniform,
    sample_view_rotation,
)


def _bone_lengths(joints):
    return np.array([[np.linalg.norm(joints[c[k + 1]] - joints[c[k]]) for k in range(3)] for c in FINGER_JOINTS])


def test_forward_kinematics_preserves_bone_lengths():
    rng = np.random.default_rng(0)
    for _ in range(50):
        shape = sample_shape(rng)
        joints = forward_kinematics(shape, sample_pose(rng))
        np.testing.assert_allclose(_bone_lengths(joints), shape.bone_lengths, rtol=1e-9)
        base = np.array([joints[c[0]] for c in FINGER_JOINTS])
        expected = shape.base_positions * (np.array([-1.0, 1.0, 1.0]) if shape.left else 1.0)
        np.testing.assert_allclose(base, expected, atol=1e-9)
        np.testing.assert_allclose(joints[Joint.WRIST], 0.0)


def test_flexion_bends_fingers_towards_the_palm():
    shape = HandShape.default()
    flat = forward_kinematics(shape, HandPose(np.zeros((5, 4)), np.zeros(2)))
    fist = forward_kinematics(shape, HandPose(GESTURES["fist"], np.zeros(2)))
    # Straight fingers lie in the palm plane (z = base z); curled fingertips move palmar (+z)
    # and come back towards the wrist.
    for f in range(1, 5):
        tip = FINGER_JOINTS[f][3]
        assert abs(flat[tip, 2] - flat[FINGER_JOINTS[f][0], 2]) < 1e-9
        assert fist[tip, 2] > 10.0
        assert fist[tip, 1] < flat[tip, 1] - 50.0


def test_left_hand_is_the_mirror_image():
    rng = np.random.default_rng(3)
    pose = sample_pose(rng)
    right = HandShape.default()
    left = HandShape(right.bone_lengths, right.base_positions, right.joint_radii, right.palm_thickness, left=True)
    jr, jl = forward_kinematics(right, pose), forward_kinematics(left, pose)
    np.testing.assert_allclose(jl, jr * np.array([-1.0, 1.0, 1.0]))
    np.testing.assert_allclose(forearm_direction(left, pose), forearm_direction(right, pose) * np.array([-1, 1, 1]))


def test_shape_variation_ranges():
    rng = np.random.default_rng(4)
    shapes = [sample_shape(rng) for _ in range(300)]
    ratio = np.array([s.bone_lengths / HandShape.default().bone_lengths for s in shapes])
    assert ratio.min() >= 0.85 * 0.96 - 1e-9 and ratio.max() <= 1.12 * 1.04 + 1e-9
    assert 0.3 < np.mean([s.left for s in shapes]) < 0.7


@pytest.mark.parametrize("sampler", [sample_uniform, sample_synergy, sample_gesture])
def test_samplers_respect_joint_limits(sampler):
    rng = np.random.default_rng(5)
    for _ in range(300):
        a = sampler(rng)
        assert np.all(a >= LIMITS_LO - 1e-9) and np.all(a <= LIMITS_HI + 1e-9)
        # Abduction shrinks as the MCP flexes.
        shrink = 1.0 - 0.6 * np.clip(a[1:, 0], 0, 90) / 90
        assert np.all(np.abs(a[1:, 1]) <= np.maximum(-LIMITS_LO[1:, 1], LIMITS_HI[1:, 1]) * shrink + 1e-9)


def test_clip_to_limits_clips():
    wild = np.full((5, 4), 500.0)
    assert np.all(clip_to_limits(wild) <= LIMITS_HI)
    assert np.all(clip_to_limits(-wild) >= LIMITS_LO)


def test_pose_wrist_within_limits_and_all_gestures_valid():
    rng = np.random.default_rng(6)
    for _ in range(200):
        assert np.all(np.abs(sample_pose(rng).wrist) <= WRIST_LIMITS)
    for name, g in GESTURES.items():
        np.testing.assert_allclose(clip_to_limits(g), g, err_msg=name)


def test_view_rotation_keeps_forearm_away_from_camera():
    rng = np.random.default_rng(7)
    fdir = np.array([0.0, -1.0, 0.0])
    for _ in range(200):
        rot = sample_view_rotation(rng, fdir)
        np.testing.assert_allclose(rot @ rot.T, np.eye(3), atol=1e-12)
        assert np.linalg.det(rot) == pytest.approx(1.0)
        assert (rot @ fdir)[2] >= -0.25


def test_positive_abduction_spreads_a_finger_away_from_the_middle_finger():
    # Found while testing the fit's collision term: the index, ring and little signs were reversed,
    # so "open" and "V" gestures were rendered with the fingers pressed together, the ring under the middle.
    shape = HandShape.default()
    rest = forward_kinematics(shape, HandPose(np.zeros((5, 4)), np.zeros(2)))
    for finger, tip in ((1, Joint.INDEX_TIP), (3, Joint.RING_TIP), (4, Joint.PINKY_TIP)):
        angles = np.zeros((5, 4))
        angles[finger, 1] = 15.0
        spread = forward_kinematics(shape, HandPose(angles, np.zeros(2)))
        gap = lambda j: abs(j[tip][0] - j[Joint.MIDDLE_TIP][0])  # noqa: E731 - across the palm (x)
        assert gap(spread) > gap(rest) + 10.0, finger
