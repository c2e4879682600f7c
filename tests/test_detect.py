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
