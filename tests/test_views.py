from dataclasses import replace

import numpy as np
import pytest

from handpose_live.camera import KNOWN_CAMERAS
from handpose_live.hand.kinematics import forearm_direction, forward_kinematics
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import HandShape, sample_shape
from handpose_live.joints import FINGER_JOINTS, Joint
from handpose_live.synthetic.generator import SynthSettings, render_frame, sample_rng
from handpose_live.synthetic.grasp import Cylinder, finger_chains, wrap_fingers
from handpose_live.synthetic.poses import GESTURES, sample_pose
from handpose_live.synthetic.raycast import LABEL_BACKGROUND, LABEL_DISTRACTOR, LABEL_FOREARM, LABEL_HAND
from handpose_live.synthetic.scene import TableSettings, sample_table_scene
from handpose_live.synthetic.views import VIEWS, ViewSettings, egocentric, front, rotation_with_forearm, top_down

CAM = KNOWN_CAMERAS["realsense_sr300"]
FOREARM = forearm_direction(HandShape.default(), HandPose(GESTURES["open"], np.zeros(2)))


def test_rotation_points_the_forearm_where_asked_and_is_a_rotation():
    rng = np.random.default_rng(0)
    for target in ([0.0, 0.8, -0.6], [0.0, 1.0, 0.0], -FOREARM):
        target = np.array(target) / np.linalg.norm(target)
        r = rotation_with_forearm(rng, FOREARM, target)
        np.testing.assert_allclose(r @ FOREARM, target, atol=1e-9)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
        assert np.linalg.det(r) == pytest.approx(1.0)


def test_each_view_puts_the_forearm_where_its_camera_sees_it():
    rng = np.random.default_rng(1)
    s = ViewSettings()
    for _ in range(50):
        f = front(rng, FOREARM, CAM, s).rotation @ FOREARM
        assert f[2] >= -0.25  # away from the camera, into the body behind the hand
        ego = egocentric(rng, FOREARM, CAM, s)
        f = ego.rotation @ FOREARM
        assert f[2] < 0 and f[1] > 0  # from the head: towards the camera and down the image
        assert ego.up @ np.array([0.0, -1.0, 0.0]) > 0  # the table's top faces up the image
        desk = top_down(rng, FOREARM, CAM, s)
        f = desk.rotation @ FOREARM
        assert abs(f @ desk.up) <= 0.4 and desk.up[2] < 0  # along the desk, which faces the camera
        assert desk.forearm_mm >= s.arm_length_mm[0]


def test_view_mix_is_checked():
    with pytest.raises(ValueError, match="view mix"):
        ViewSettings(mix=(1.0, 0.0))


def test_table_lies_beyond_hand_and_arm_and_the_held_object_in_the_palm():
    joints = forward_kinematics(HandShape.default(), HandPose(GESTURES["grasp"], np.zeros(2)))
    joints = joints @ np.diag([1.0, -1.0, -1.0]).T + np.array([0.0, 0.0, 400.0])  # palm to the camera
    elbow = joints[Joint.WRIST] + np.array([0.0, 250.0, -100.0])
    up = np.array([0.0, -0.6, -0.8])
    palmar = np.array([0.0, 0.0, -1.0])
    prims, planes, held = sample_table_scene(np.random.default_rng(2), joints, elbow, up, palmar, False,
                                             TableSettings(p_held=1.0, max_objects=0))
    (table,) = planes
    assert np.all(joints @ up >= table.offset) and elbow @ up >= table.offset
    centre = prims.cones[0]
    assert prims.cone_labels[0] == LABEL_DISTRACTOR
    mid = 0.5 * (centre[0:3] + centre[4:7])
    palm = joints[[Joint.WRIST, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP]].mean(axis=0)
    assert (mid - palm) @ palmar > 15.0  # on the palm's side, touching it
    assert np.allclose(0.5 * (held.a + held.b), mid) and 15.0 <= held.radius <= 35.0


@pytest.mark.parametrize("view", VIEWS[1:])
def test_egocentric_and_top_down_frames_show_a_table_and_the_arm_at_the_border(view):
    settings = SynthSettings(width=320, height=240, cameras=("realsense_sr300",),
                             views=ViewSettings(mix=tuple(float(v == view) for v in VIEWS)))
    at_border = 0
    for k in range(8):
        f = render_frame(sample_rng(9, k), settings)
        assert f.view == view
        assert (f.labels == LABEL_BACKGROUND).mean() > 0.3  # the table or desk fills much of the frame
        assert (f.labels == LABEL_HAND).any()
        edge = np.concatenate([f.labels[0], f.labels[-1], f.labels[:, 0], f.labels[:, -1]])
        at_border += bool((edge == LABEL_FOREARM).any())
    assert at_border >= 6  # the arm leaves the image: no body in view


def test_fingers_close_round_a_held_object_without_entering_it():
    shape = HandShape.default()
    pose = HandPose(GESTURES["open"], np.zeros(2))
    joints = forward_kinematics(shape, pose)
    palm = joints[[Joint.WRIST, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP]].mean(axis=0)
    across = np.array([1.0, 0.0, 0.0]) * 50.0
    held = Cylinder(palm + [0.0, 10.0, 40.0] - across, palm + [0.0, 10.0, 40.0] + across, 22.0)  # 40 mm palmar
    tips = [int(j) for j in (Joint.INDEX_TIP, Joint.MIDDLE_TIP, Joint.RING_TIP, Joint.PINKY_TIP)]
    assert np.all(held.gap(joints[tips], shape.joint_radii[tips]) > 25.0)  # open: the fingers stand off it
    wrapped = wrap_fingers(shape, pose, held, np.random.default_rng(0))
    after = forward_kinematics(shape, wrapped)
    gaps = held.gap(after, shape.joint_radii)
    assert np.all(np.abs(gaps[tips]) < 10.0)  # on its surface
    # Not through it (5° of noise on each bend); the thumb's thick base lies against it in any bend.
    assert gaps[Joint.THUMB_IP:].min() > -8.0
    assert np.allclose(after[[Joint.WRIST, Joint.MIDDLE_MCP]], joints[[Joint.WRIST, Joint.MIDDLE_MCP]])


def test_the_grip_and_the_sleeve_leave_the_rest_of_a_frame_as_it_was():
    plain = SynthSettings(cameras=("realsense_sr300",), wrap_held=False, p_sleeve=0.0,
                          views=ViewSettings(mix=(0.0, 1.0, 0.0)), table=TableSettings(p_held=1.0))
    f0 = render_frame(sample_rng(4, 0), plain)
    f1 = render_frame(sample_rng(4, 0), replace(plain, wrap_held=True))
    assert f1.view == f0.view and f1.left == f0.left
    same = [int(j) for j in (Joint.WRIST, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP)]
    assert np.allclose(f1.joints_mm[same], f0.joints_mm[same])  # the same hand in the same place
    assert not np.allclose(f1.joints_mm, f0.joints_mm)  # its fingers bent round the object


@pytest.mark.parametrize("left", [False, True])
def test_the_grip_search_bends_fingers_as_forward_kinematics_does(left):
    rng = np.random.default_rng(3)
    shape = sample_shape(rng, left=left)
    angles = sample_pose(rng).fingers
    bends = angles[:, [0, 2]]
    angles[:, 3] = [bends[0, 1]] + [2.0 / 3.0 * b for b in bends[1:, 1]]  # the last joint follows the middle one
    joints = forward_kinematics(shape, HandPose(angles, np.zeros(2)))
    chains = finger_chains(shape, angles[:, 1], bends[None])[0]
    assert np.allclose(chains, joints[np.array(FINGER_JOINTS)], atol=1e-9)
