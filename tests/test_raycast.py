import numpy as np
import pytest

from handpose_live.camera import Intrinsics
from handpose_live.synthetic.raycast import (
    LABEL_BODY,
    LABEL_HAND,
    Primitives,
    plane_depth,
    raycast,
    raycast_numpy,
)

CAM = Intrinsics(200.0, 205.0, 80.3, 59.7, 160, 120)


def _random_scene(seed: int) -> Primitives:
    rng = np.random.default_rng(seed)
    prims = Primitives()
    cones = []
    for _ in range(12):
        a = rng.uniform([-150, -120, 300], [150, 120, 700])
        b = a + rng.normal(0, 40, 3)
        cones.append([*a, rng.uniform(4, 25), *b, rng.uniform(4, 25)])
    prims.add_cones(np.array(cones), LABEL_HAND)
    for _ in range(3):
        q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        prims.add_ellipsoid(rng.uniform([-150, -100, 400], [150, 100, 900]), rng.uniform(10, 120, 3), q, LABEL_BODY)
    return prims


def _distance_to_round_cone(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Distance to the union of the spheres swept from (a, ra) to (b, rb), by dense sampling."""
    s = np.linspace(0.0, 1.0, 2001)
    centres = c[None, 0:3] + s[:, None] * (c[4:7] - c[0:3])[None]
    radii = c[3] + s * (c[7] - c[3])
    return np.min(np.linalg.norm(p[:, None, :] - centres[None], axis=-1) - radii[None], axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_and_numpy_give_the_same_image(seed):
    prims = _random_scene(seed)
    d1, l1 = raycast(prims, CAM)
    d2, l2 = raycast_numpy(prims, CAM)
    hit = np.isfinite(d1)
    assert hit.mean() > 0.05
    np.testing.assert_array_equal(hit, np.isfinite(d2))
    np.testing.assert_allclose(d1[hit], d2[hit], rtol=0, atol=1e-6)
    np.testing.assert_array_equal(l1, l2)


def test_round_cone_hits_lie_on_the_surface():
    rng = np.random.default_rng(11)
    rays = CAM.ray_directions()
    for _ in range(6):
        a = rng.uniform([-60, -40, 350], [60, 40, 500])
        c = np.array([*a, rng.uniform(5, 30), *(a + rng.normal(0, 50, 3)), rng.uniform(5, 30)])
        prims = Primitives()
        prims.add_cones(c[None], LABEL_HAND)
        depth, _ = raycast(prims, CAM)
        vv, uu = np.nonzero(np.isfinite(depth))
        assert len(vv) > 20
        dirs = rays[vv, uu]
        t = depth[vv, uu] / dirs[:, 2]
        on = _distance_to_round_cone(dirs * t[:, None], c)
        before = _distance_to_round_cone(dirs * (t - 0.5)[:, None], c)
        assert np.abs(on).max() < 0.02
        assert before.min() > 0.0
        # And rays that report no hit really pass the shape by (0.5 mm steps along each ray
        # near the cone; a ray that entered it deeper than 0.5 mm would show up).
        mv, mu = np.nonzero(~np.isfinite(depth))
        pick = rng.choice(len(mv), size=min(60, len(mv)), replace=False)
        ts = np.arange(np.linalg.norm(a) - 150.0, np.linalg.norm(a) + 150.0, 0.5)
        for d in rays[mv[pick], mu[pick]]:
            assert _distance_to_round_cone(d[None, :] * ts[:, None], c).min() > -0.5


def test_sphere_and_ellipsoid_depth_match_closed_form():
    prims = Primitives()
    centre = np.array([0.0, 0.0, 500.0])
    prims.add_cones(np.array([[*centre, 40.0, *centre, 40.0]]), LABEL_HAND)  # a round cone of zero length
    depth, labels = raycast(prims, CAM)
    v, u = int(round(CAM.cy)), int(round(CAM.cx))
    ray = CAM.ray_directions()[v, u]
    t = ray @ centre - np.sqrt((ray @ centre) ** 2 - centre @ centre + 40.0**2)
    assert depth[v, u] == pytest.approx(t * ray[2], abs=1e-9)
    assert labels[v, u] == LABEL_HAND

    ell = Primitives()
    ell.add_ellipsoid(centre, np.array([80.0, 50.0, 30.0]), np.eye(3), LABEL_BODY)
    d_e, _ = raycast(ell, CAM)
    assert d_e[v, u] == pytest.approx(470.0, abs=0.05)  # front of the 30 mm semi-axis along z
    rays = CAM.ray_directions()
    hit = np.isfinite(d_e)
    p = rays[hit] * (d_e[hit] / rays[hit][:, 2])[:, None]
    np.testing.assert_allclose(np.linalg.norm((p - centre) / [80.0, 50.0, 30.0], axis=1), 1.0, atol=1e-9)


def test_nearest_surface_wins_and_offscreen_is_ignored():
    prims = Primitives()
    prims.add_cones(np.array([[0, 0, 600, 30, 0, 0, 600, 30]], float), LABEL_BODY)
    prims.add_cones(np.array([[0, 0, 400, 10, 0, 0, 400, 10]], float), LABEL_HAND)
    prims.add_cones(np.array([[5000, 0, 400, 10, 5000, 0, 400, 10]], float), LABEL_HAND)  # far outside the view
    prims.add_cones(np.array([[0, 0, -400, 10, 0, 0, -400, 10]], float), LABEL_HAND)  # behind the camera
    depth, labels = raycast(prims, CAM)
    v, u = int(round(CAM.cy)), int(round(CAM.cx))
    assert labels[v, u] == LABEL_HAND and depth[v, u] == pytest.approx(390.0, abs=0.1)
    assert labels[v, u + 7] == LABEL_BODY  # 21 mm off-axis: past the hand, on the body


def test_plane_depth():
    d = plane_depth(np.array([0.0, 0.0, 1.0]), 800.0, CAM)
    np.testing.assert_allclose(d, 800.0)
    tilted = plane_depth(np.array([0.0, np.sin(0.3), np.cos(0.3)]), 800.0, CAM)
    pts = CAM.depth_to_points(tilted)
    np.testing.assert_allclose(pts @ np.array([0.0, np.sin(0.3), np.cos(0.3)]), 800.0)
    assert np.all(np.isinf(plane_depth(np.array([0.0, 0.0, 1.0]), -100.0, CAM)))
