import numpy as np
import pytest

from handpose_live.joints import BONES, DATASET_MAPS, ICVL, MSRA, NUM_JOINTS, NYU, Joint, skeleton_adjacency
from handpose_live.types import DepthFrame


def test_projection_round_trip(qvga):
    rng = np.random.default_rng(0)
    pts = rng.uniform([-300, -300, 150], [300, 300, 1500], size=(500, 3))
    uvz = qvga.project(pts)
    np.testing.assert_allclose(qvga.backproject(uvz), pts, atol=1e-9)
    # The principal point is the image of the optical axis.
    np.testing.assert_allclose(qvga.project(np.array([0.0, 0.0, 500.0]))[:2], [qvga.cx, qvga.cy])


def test_projection_follows_camera_convention(vga):
    # x right, y down: a point right of and below the axis lands right of and below the centre.
    u, v, z = vga.project(np.array([10.0, 20.0, 400.0]))
    assert u > vga.cx and v > vga.cy and z == 400.0


def test_scaled_intrinsics_keep_rays(vga):
    half = vga.scaled(0.5)
    assert (half.width, half.height) == (320, 240)
    p = np.array([33.0, -41.0, 512.0])
    u, v, _ = vga.project(p)
    u2, v2, _ = half.project(p)
    # Pixel centres at integers: (u + 0.5)·s − 0.5.
    assert u2 == pytest.approx((u + 0.5) * 0.5 - 0.5)
    assert v2 == pytest.approx((v + 0.5) * 0.5 - 0.5)


def test_depth_to_points_and_ray_directions(qvga):
    depth = np.full((qvga.height, qvga.width), 700.0)
    pts = qvga.depth_to_points(depth)
    np.testing.assert_allclose(qvga.project(pts[100, 50])[:2], [50, 100], atol=1e-9)
    rays = qvga.ray_directions()
    np.testing.assert_allclose(np.linalg.norm(rays, axis=-1), 1.0)
    np.testing.assert_allclose(rays[7, 9] / rays[7, 9, 2] * 700.0, pts[7, 9], atol=1e-9)


def test_depth_frame_checks_size(qvga):
    DepthFrame(np.zeros((240, 320), np.float32), qvga, 0.0, 0)
    with pytest.raises(ValueError, match="320x240"):
        DepthFrame(np.zeros((480, 640), np.float32), qvga, 0.0, 0)


def test_joint_order_and_bones():
    assert NUM_JOINTS == 21 and Joint.WRIST == 0 and Joint.THUMB_TIP == 4 and Joint.PINKY_TIP == 20
    assert len(BONES) == 20 and len(set(BONES)) == 20
    a = skeleton_adjacency()
    # A tree on 21 nodes: 20 edges, connected, the wrist joined to the five finger bases.
    assert a.sum() == 40 and np.allclose(a, a.T)
    assert sorted(np.flatnonzero(a[Joint.WRIST])) == [1, 5, 9, 13, 17]
    reach = np.linalg.matrix_power(a + np.eye(21), 20)
    assert np.all(reach > 0)


def test_msra_map_is_a_bijection_by_name():
    idx = MSRA.canonical_indices()
    assert sorted(idx) == list(range(21))
    assert MSRA.joints[0].name == "wrist" and idx[0] == Joint.WRIST
    assert [MSRA.joints[k].name for k in (1, 4, 17, 20)] == ["index_mcp", "index_tip", "thumb_cmc", "thumb_tip"]
    assert idx[1] == Joint.INDEX_MCP and idx[17] == Joint.THUMB_CMC and idx[20] == Joint.THUMB_TIP


def test_dataset_maps_round_trip():
    rng = np.random.default_rng(1)
    for m in DATASET_MAPS.values():
        labels = rng.normal(size=(4, m.num_joints, 3))
        canon, mask = m.to_canonical(labels)
        back = m.from_canonical(canon)
        has = np.array([j.canonical is not None for j in m.joints])
        np.testing.assert_allclose(back[:, has], labels[:, has])
        assert np.all(np.isnan(back[:, ~has]))
        assert mask.sum() == has.sum()
    assert ICVL.num_joints == 16 and ICVL.joints[0].canonical is None
    assert NYU.num_joints == 14 and NYU.joints[0].canonical == Joint.PINKY_TIP
    assert NYU.joints[8].canonical == Joint.THUMB_TIP
    with pytest.raises(ValueError):
        NYU.to_canonical(np.zeros((16, 3)))


def test_where_to_hold_the_hand_follows_the_camera_and_the_panel_says_so():
    from handpose_live.camera import hand_range_mm, live_camera_range_mm
    from handpose_live.types import HandPoseResult
    from handpose_live.ui.overlay import guidance_line

    assert hand_range_mm(None) == (200.0, 800.0)
    assert live_camera_range_mm("RealSense D435I") == (280.0, 3000.0) and live_camera_range_mm("Foo") is None
    assert hand_range_mm(live_camera_range_mm("Azure Kinect")) == (550.0, 800.0)  # it sees from 50 cm

    def at(z: float) -> HandPoseResult:
        joints = np.tile([0.0, 0.0, z], (21, 1))
        return HandPoseResult(True, joints, np.zeros((21, 2)), joints[9], None, {}, "CPU")

    rng = (200.0, 800.0)
    assert guidance_line(None, rng).startswith("▶ no hand: hold your hand nearest to the camera, 20–80 cm")
    assert guidance_line(at(150.0), rng, (110.0, 1100.0)) == \
        "▶ too close: move your hand back to 20–80 cm away (this camera sees from 11 cm)"
    assert guidance_line(at(950.0), rng).startswith("▶ too far")
    assert guidance_line(at(450.0), rng) == "hand 45 cm away (works 20–80 cm)"
