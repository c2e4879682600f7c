import numpy as np
from conftest import open_hand_facing_camera

from handpose_live.joints import Joint
from handpose_live.pipeline.detect import DetectSettings, find_hand, track_hand
from handpose_live.synthetic.render import Plane, render_depth


def _scene(vga, distance=450.0, wall=900.0):
    joints, fdir = open_hand_facing_camera(distance)
    depth = render_depth(joints, vga, forearm_direction=fdir, forearm_length_mm=0.0,
                         planes=(Plane((0.0, 0.0, 1.0), wall),))
    return joints, depth


def test_finds_the_hand_in_front_of_a_wall(vga):
    joints, depth = _scene(vga)
    det = find_hand(depth, vga)
    assert det is not None and not det.tracked
    # Without forearm the centre of mass of the visible surface is near the palm.
    palm = joints[[Joint.WRIST, Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP]].mean(axis=0)
    assert np.linalg.norm(det.center_mm[:2] - palm[:2]) < 35.0
    assert abs(det.center_mm[2] - palm[2]) < 30.0


def test_no_hand_in_empty_far_or_noisy_frames(vga):
    empty = np.zeros((480, 640), np.float32)
    assert find_hand(empty, vga) is None
    assert find_hand(np.full((480, 640), 3000.0, np.float32), vga) is None  # beyond the range
    rng = np.random.default_rng(0)
    noise = np.where(rng.random((480, 640)) < 0.002, rng.uniform(300, 600, (480, 640)), 0).astype(np.float32)
    assert find_hand(noise, vga) is None  # isolated pixels are too small to be a hand
    assert find_hand(np.full((480, 640), np.nan, np.float32), vga) is None


def test_small_near_blob_is_skipped_for_the_hand_behind(vga):
    joints, depth = _scene(vga)
    depth[10:14, 10:14] = 250.0  # a speck nearer than the hand, far too small to be one
    det = find_hand(depth, vga)
    assert det is not None and abs(det.center_mm[2] - joints[Joint.MIDDLE_MCP, 2]) < 40.0


def test_tracking_keeps_a_hand_that_is_still_there_and_loses_a_gone_one(vga):
    joints, depth = _scene(vga)
    previous = joints[Joint.MIDDLE_MCP]
    moved = render_depth(joints + np.array([15.0, -10.0, 5.0]), vga, forearm_length_mm=0.0,
                         planes=(Plane((0.0, 0.0, 1.0), 900.0),))
    tracked = track_hand(moved, vga, previous)
    # The centre stays the previous reference joint (the refiner and the network follow the move).
    assert tracked is not None and tracked.tracked and np.array_equal(tracked.center_mm, previous)
    gone = np.full((480, 640), 900.0, np.float32)
    assert track_hand(gone, vga, previous, DetectSettings()) is None


def _seen_from_the_head(vga, forearm_mm):
    """A hand 450 mm ahead just over a table, its forearm coming up from the bottom of the image."""
    from handpose_live.hand.kinematics import forearm_direction, forward_kinematics, reference_point
    from handpose_live.hand.pose import HandPose
    from handpose_live.hand.shape import HandShape
    from handpose_live.synthetic.poses import GESTURES
    from handpose_live.synthetic.views import rotation_with_forearm

    shape, pose = HandShape.default(), HandPose(GESTURES["open"], np.zeros(2))
    toward = np.array([0.0, 0.8, -0.6])
    rot = rotation_with_forearm(np.random.default_rng(3), forearm_direction(shape, pose), toward)
    hand = forward_kinematics(shape, pose) @ rot.T
    joints = hand - reference_point(hand) + np.array([0.0, -40.0, 450.0])
    up = np.array([0.0, -0.6, -0.8])
    table = Plane(tuple(up), float(min((joints @ up).min(), (joints[0] + forearm_mm * toward) @ up)) - 20.0)
    depth = render_depth(joints, vga, forearm_direction=toward, forearm_length_mm=forearm_mm, planes=(table,))
    return joints, depth


def test_a_table_nearer_than_the_hand_is_not_taken_for_it(vga):
    joints, depth = _seen_from_the_head(vga, forearm_mm=0.0)
    assert depth[-1].min() < joints[:, 2].min()  # the table at the bottom of the image is the nearest surface
    det = find_hand(depth, vga)
    assert det is not None and np.linalg.norm(det.center_mm - joints[Joint.MIDDLE_MCP]) < 50.0
    # Without taking the plane out, the nearest blob is the table.
    flat = find_hand(depth, vga, DetectSettings(min_plane_area_mm2=np.inf))
    assert flat is None or np.linalg.norm(flat.center_mm - joints[Joint.MIDDLE_MCP]) > 100.0


def test_an_arm_entering_from_the_border_offers_its_free_end_as_the_hand(vga):
    joints, depth = _seen_from_the_head(vga, forearm_mm=500.0)
    assert (depth[-1] > 0).any() and depth[-1][depth[-1] > 0].min() < joints[:, 2].min()  # the arm is nearest
    det = find_hand(depth, vga)
    mcp = joints[Joint.MIDDLE_MCP]
    assert det.alternative_mm is not None
    assert np.linalg.norm(det.alternative_mm - mcp) < 60.0 < np.linalg.norm(det.center_mm - mcp)


def test_a_hand_held_up_in_front_of_a_wall_has_no_alternative_off_the_hand(vga):
    joints, fdir = open_hand_facing_camera(450.0)
    wall = (Plane((0.0, 0.0, 1.0), 900.0),)
    short = find_hand(render_depth(joints, vga, forearm_direction=fdir, forearm_length_mm=100.0, planes=wall), vga)
    assert short is not None and short.alternative_mm is None  # the arm ends before the border
    # An arm that leaves the image below a hand pointing up: its free end is the hand as well.
    long = find_hand(render_depth(joints, vga, forearm_direction=fdir, forearm_length_mm=300.0, planes=wall), vga)
    assert long.alternative_mm is None or np.linalg.norm(long.alternative_mm - joints[Joint.MIDDLE_MCP]) < 60.0
