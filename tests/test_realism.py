"""The realism figures on rendered frames whose answers are known."""
import numpy as np
from conftest import open_hand_facing_camera

from handpose_live.camera import Intrinsics
from handpose_live.evaluation.realism import frame_realism, model_silhouette, realism_table, summarise
from handpose_live.hand.primitives import PAD_OFFSET
from handpose_live.hand.shape import HandShape
from handpose_live.joints import Joint
from handpose_live.synthetic.render import Plane, render_depth

VGA = Intrinsics(476.0, 476.0, 313.7, 242.8, 640, 480)


def test_figures_of_a_clean_hand_before_a_wall_and_with_a_hole():
    joints, fdir = open_hand_facing_camera(450.0)
    radii = HandShape.default().joint_radii
    hand_z = float(np.median(joints[:, 2]))
    depth = render_depth(joints, VGA, radii_mm=radii, forearm_direction=fdir, forearm_length_mm=120.0,
                         planes=(Plane((0.0, 0.0, 1.0), hand_z + 150.0),))
    clean = frame_realism(depth, VGA, joints, radii)
    assert abs(clean.behind_mm - 150.0) < 25.0
    mid = 0.5 * (radii[Joint.MIDDLE_PIP] + radii[Joint.MIDDLE_DIP])
    assert abs(clean.finger_width_mm - 2 * mid) < 4.0, (clean.finger_width_mm, 2 * mid)
    # The palm across the knuckles: index to little-finger MCP, plus their radii and the side pads.
    knuckles = np.linalg.norm(joints[Joint.INDEX_MCP] - joints[Joint.PINKY_MCP])
    across = knuckles + (1.0 + PAD_OFFSET) * (radii[Joint.INDEX_MCP] + radii[Joint.PINKY_MCP])
    assert abs(clean.palm_width_mm - across) < 4.0, (clean.palm_width_mm, across)
    assert clean.edge_gap_px <= 2.0 and clean.valid_fraction > 0.97
    u, v = VGA.project(joints[Joint.MIDDLE_MCP][None])[0, :2].astype(int) + [0, 12]
    holed = depth.copy()
    holed[v - 5: v + 5, u - 5: u + 5] = 0.0  # a 10 × 10 dropout on the palm
    h = frame_realism(holed, VGA, joints, radii)
    assert max(h.hole_sizes_px) >= 100 and h.valid_fraction < clean.valid_fraction
    assert model_silhouette(joints, radii, VGA)[v, u]
    table = realism_table({"clean": summarise([clean]), "holed": summarise([h])})
    assert table[0].startswith("| figure | clean (1 frames) | holed (1 frames)") and len(table) == 11


def test_a_hand_model_outside_the_image_gives_no_figures_not_an_error():
    joints, _ = open_hand_facing_camera(450.0)
    far = frame_realism(np.zeros((480, 640), np.float32), VGA, joints + [5000.0, 0.0, 0.0],
                        HandShape.default().joint_radii)
    assert np.isnan(far.valid_fraction) and far.hole_sizes_px == ()
