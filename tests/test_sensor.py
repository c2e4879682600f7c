import numpy as np
import pytest

from handpose_live.synthetic.sensor import SENSOR_KINDS, SensorSettings, apply_sensor

FX = 240.0


def _box_in_front_of_wall() -> np.ndarray:
    d = np.full((120, 160), 800.0, np.float32)
    d[40:80, 60:100] = 400.0
    return d


@pytest.mark.parametrize("kind", SENSOR_KINDS)
def test_artefacts_stay_plausible(kind):
    clean = _box_in_front_of_wall()
    clean[:, :10] = 0.0  # no surface there
    noisy = apply_sensor(clean, FX, np.random.default_rng(0), SensorSettings(kind=kind))
    assert noisy.dtype == np.float32 and noisy.shape == clean.shape
    valid = noisy > 0
    assert 0.6 < valid.mean() < 0.95
    assert np.all(noisy[:, :10] == 0)  # no data appears where nothing was
    # Away from edges the noise is small; values are whole millimetres.
    interior = np.zeros_like(valid)
    interior[50:70, 70:90] = True
    err = np.abs(noisy - clean)[interior & valid]
    assert np.median(err) <= 2.0
    np.testing.assert_array_equal(noisy, np.round(noisy))


def test_stereo_noise_grows_with_depth():
    rng = np.random.default_rng(1)
    settings = SensorSettings(kind="stereo", max_holes=0, p_pixel_dropout=(0.0, 0.0), quantum_mm=0.01)
    stds = []
    for z in (400.0, 1200.0):
        clean = np.full((100, 100), z, np.float32)
        noisy = apply_sensor(clean, FX, rng, settings)
        stds.append(np.std(noisy[noisy > 0] - z))
    assert stds[1] > 5 * stds[0]


def test_structured_light_shadow_lies_beside_the_near_object():
    clean = _box_in_front_of_wall()
    settings = SensorSettings(kind="structured_light", max_holes=0, p_pixel_dropout=(0.0, 0.0),
                              p_edge_dropout=(0.0, 0.0), p_flying=(0.0, 0.0))
    for seed in range(6):
        noisy = apply_sensor(clean, FX, np.random.default_rng(seed), settings)
        holes = noisy[40:80] == 0
        left_band = holes[:, 30:60].sum()
        right_band = holes[:, 100:130].sum()
        # The shadow is on one side of the box only, on the wall, and the box itself is intact.
        assert (left_band > 0) != (right_band > 0)
        assert np.all(noisy[40:80, 62:98] > 0)


def test_same_rng_same_noise():
    clean = _box_in_front_of_wall()
    a = apply_sensor(clean, FX, np.random.default_rng(5))
    b = apply_sensor(clean, FX, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
