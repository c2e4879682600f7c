import numpy as np
import pytest
from conftest import open_hand_facing_camera

from handpose_live.hand.shape import JOINT_RADII_MM, tip_sphere_centre
from handpose_live.joints import FINGER_JOINTS, Joint

TIPS = [chain[3] for chain in FINGER_JOINTS]
from handpose_live.pipeline.crop import crop_depth, crop_to_joints, joints_to_crop, make_crop_box
from handpose_live.synthetic.geometry import hand_primitives
from handpose_live.synthetic.raycast import LABEL_FOREARM, LABEL_HAND
from handpose_live.synthetic.render import Plane, render_depth, render_scene


def test_finger_surface_ends_at_the_tip_joint(vga):
    joints, fdir = open_hand_facing_camera(450.0)
    depth = render_depth(joints, vga, forearm_direction=fdir)
    for chain in FINGER_JOINTS:
        dip, tip = chain[2], chain[3]
        r = JOINT_RADII_MM[tip]
        # The tip sphere faces the camera one radius inside the tip joint: its front is a radius nearer.
        centre = tip_sphere_centre(joints[dip], joints[tip], r)
        u, v = np.round(vga.project(centre[None])[0, :2]).astype(int)
        assert depth[v, u] == pytest.approx(centre[2] - r, abs=2.0), Joint(tip).name
        # Just beyond the tip joint, along the finger, there is no finger any more.
        along = joints[tip] + 2.5 * (joints[tip] - joints[dip]) / np.linalg.norm(joints[tip] - joints[dip])
        u, v = np.round(vga.project(along[None])[0, :2]).astype(int)
        assert depth[v, u] == 0, Joint(tip).name
        u, v = np.round(vga.project(joints[tip][None] - 2.5 * (along - joints[tip])[None])[0, :2]).astype(int)
        assert depth[v, u] > 0, Joint(tip).name


def test_hand_is_rendered_where_the_joints_project(vga):
    joints, fdir = open_hand_facing_camera(500.0)
    depth = render_depth(joints, vga, forearm_direction=fdir)
    uv = np.round(vga.project(joints)[:, :2]).astype(int)
    # Every joint of an open hand facing the camera but the tips is on the hand's surface, within
    # its radius; the tips are where the fingers end.
    inner = [j for j in range(21) if j not in TIPS]
    d = depth[uv[inner, 1], uv[inner, 0]]
    assert np.all(d > 0)
    assert np.all(np.abs(d - joints[inner, 2]) < 20.0)
    for t in TIPS:
        assert (depth[uv[t, 1] - 2: uv[t, 1] + 3, uv[t, 0] - 2: uv[t, 0] + 3] > 0).any(), Joint(t).name


def test_render_any_skeleton_scaled_and_without_forearm(qvga):
    joints, _ = open_hand_facing_camera(400.0)
    centre = joints.mean(axis=0)
    big = (joints - centre) * 1.3 + centre
    d_small = render_depth(joints, qvga, forearm_length_mm=0.0)
    d_big = render_depth(big, qvga, forearm_length_mm=0.0)
    # Radii follow the skeleton's size: 1.3× the skeleton covers about 1.3² the pixels.
    ratio = (d_big > 0).sum() / (d_small > 0).sum()
    assert 1.5 < ratio < 1.9
    with_arm = render_depth(joints, qvga, forearm_length_mm=200.0)
    assert (with_arm > 0).sum() > (d_small > 0).sum() * 1.3


def test_labels_and_background_plane(qvga):
    joints, fdir = open_hand_facing_camera(400.0)
    prims = hand_primitives(joints, forearm_direction=fdir, forearm_length_mm=150.0)
    depth, labels = render_scene(prims, qvga, (Plane((0.0, 0.0, 1.0), 900.0),))
    assert set(np.unique(labels)) == {LABEL_HAND, LABEL_FOREARM, 5}
    assert np.all(depth > 0)
    np.testing.assert_allclose(depth[labels == 5], 900.0, atol=1e-3)
    _, labels_np = render_scene(prims, qvga, (Plane((0.0, 0.0, 1.0), 900.0),), use_numba=False)
    np.testing.assert_array_equal(labels, labels_np)


@pytest.mark.parametrize("cube", [150.0, 250.0, 300.0])
def test_crop_uncrop_round_trip(vga, qvga, cube):
    rng = np.random.default_rng(0)
    for intr in (vga, qvga):
        for _ in range(50):
            centre = rng.uniform([-200, -150, 200], [200, 150, 1000])
            joints = centre + rng.normal(0, 60, size=(21, 3))
            box = make_crop_box(centre, intr, cube, 96)
            norm = joints_to_crop(joints, box)
            assert np.abs(crop_to_joints(norm, box) - joints).max() < 0.5
            # The centre maps to the middle of the crop.
            np.testing.assert_allclose(joints_to_crop(centre, box), 0.0, atol=1e-12)


def test_crop_depth_normalisation_and_geometry(qvga):
    depth = np.zeros((qvga.height, qvga.width), np.float32)
    depth[:, :] = 900.0  # far wall → clipped to the back plane
    centre = np.array([0.0, 0.0, 500.0])
    uc, vc, _ = qvga.project(centre)
    depth[int(round(vc)) - 5 : int(round(vc)) + 6, int(round(uc)) - 5 : int(round(uc)) + 6] = 550.0
    depth[0:30, :] = 0.0  # missing data
    box = make_crop_box(centre, qvga, 250.0, 96)
    crop = crop_depth(depth, box)
    assert crop.shape == (96, 96) and crop.dtype == np.float32
    assert crop[48, 48] == pytest.approx(50.0 / 125.0)  # 550 mm is 50 mm behind the centre
    assert crop.min() >= -1.0 and crop.max() <= 1.0
    assert np.all(crop[0, :] == 1.0)  # missing rows and rows above the image → back plane
    # The square is the cube's projection: a 250 mm cube at 500 mm spans fx·250/500 pixels.
    rows, cols = box.source_indices()
    assert cols[-1] - cols[0] == pytest.approx(qvga.fx * 250 / 500, abs=2)
    assert rows[-1] - rows[0] == pytest.approx(qvga.fy * 250 / 500, abs=2)
    # A marked pixel's crop position agrees with the joint normalisation.
    p = qvga.backproject(np.array([uc + 20.0, vc - 12.0, 520.0]))
    depth2 = np.full_like(depth, 900.0)
    u_p, v_p = int(round(uc + 20.0)), int(round(vc - 12.0))
    depth2[v_p, u_p] = 520.0
    hit = np.argwhere(crop_depth(depth2, box) < 1.0)
    n = joints_to_crop(p, box)
    expected = (n[:2] + 1.0) * 48.0 - 0.5
    assert len(hit) >= 1 and np.abs(hit.mean(axis=0)[::-1] - expected).max() < 1.0


def test_crop_rejects_bad_centre(qvga):
    with pytest.raises(ValueError):
        make_crop_box(np.array([0.0, 0.0, 0.0]), qvga)
    with pytest.raises(ValueError):
        make_crop_box(np.array([0.0, np.nan, 300.0]), qvga)
