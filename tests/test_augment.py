import numpy as np
import pytest

from handpose_live.training.augment import AugmentSettings, apply_affine, augment


def _crop_with_marks(uvd: np.ndarray, n: int = 96) -> np.ndarray:
    """A background crop with a 3×3 blob of depth z at each joint's pixel."""
    img = np.ones((n, n), np.float32)
    for u, v, z in uvd:
        c, r = int(round((u + 1) * n / 2 - 0.5)), int(round((v + 1) * n / 2 - 0.5))
        img[r - 1 : r + 2, c - 1 : c + 2] = z
    return img


def test_identity_leaves_everything_unchanged():
    rng = np.random.default_rng(0)
    uvd = rng.uniform(-0.5, 0.5, (21, 3)).astype(np.float32)
    img = rng.uniform(-1, 1, (96, 96)).astype(np.float32)
    out, out_uvd = apply_affine(img, uvd, 0.0, 1.0, np.zeros(3))
    np.testing.assert_allclose(out, img)
    np.testing.assert_allclose(out_uvd, uvd)


@pytest.mark.parametrize("theta, scale, shift", [(0.7, 1.0, (0, 0, 0)), (0.0, 1.08, (0, 0, 0)),
                                                 (0.0, 1.0, (0.1, -0.05, 0.06)), (-2.5, 0.92, (0.04, 0.08, -0.05))])
def test_image_and_targets_move_together(theta, scale, shift):
    uvd = np.array([[0.3, -0.2, 0.1], [-0.4, 0.35, -0.2], [0.0, 0.0, 0.3]], np.float32)
    img = _crop_with_marks(uvd)
    out, out_uvd = apply_affine(img, uvd, theta, scale, np.array(shift, np.float64))
    for u, v, z in out_uvd:
        c, r = (u + 1) * 48 - 0.5, (v + 1) * 48 - 0.5
        patch = out[int(round(r)) - 1 : int(round(r)) + 2, int(round(c)) - 1 : int(round(c)) + 2]
        # The blob moved with its joint, and its depth was transformed like the joint's z.
        assert np.min(np.abs(patch - z)) < 1e-5


def test_background_stays_background_and_values_stay_in_range():
    rng = np.random.default_rng(1)
    img = np.ones((96, 96), np.float32)
    img[30:60, 30:60] = 0.95
    for _ in range(20):
        out, _ = augment(img, np.zeros((21, 3), np.float32), rng, AugmentSettings())
        assert out.min() >= -1.0 and out.max() <= 1.0
        assert np.mean(out == 1.0) > 0.7
