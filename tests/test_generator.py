import json

import numpy as np
import pytest

from handpose_live.synthetic.generator import SynthSettings, generate_samples, make_sample, render_frame, sample_rng
from handpose_live.synthetic.raycast import LABEL_HAND
from handpose_live.synthetic.shards import ShardError, load_shards, write_shards

SMALL = SynthSettings(width=160, height=120)


def test_samples_are_deterministic_per_seed_and_index():
    a = generate_samples(7, 0, 6, SMALL)
    b = generate_samples(7, 0, 6, SMALL)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    c = generate_samples(8, 0, 6, SMALL)
    assert not np.array_equal(a["depth"], c["depth"])
    # A sample does not depend on where its batch started.
    tail = generate_samples(7, 3, 3, SMALL)
    for k in ("depth", "uvd", "joints_mm"):
        np.testing.assert_array_equal(a[k][3:], tail[k])


def test_sample_contents_are_consistent():
    data = generate_samples(1, 0, 20, SynthSettings())
    assert data["depth"].shape == (20, 96, 96) and data["depth"].dtype == np.float16
    assert np.all(np.abs(data["depth"]) <= 1.0)
    # The crop is centred near the middle MCP (10 mm jitter), so it sits near the middle of the targets.
    assert np.all(np.abs(data["uvd"][:, 9]) < 0.5)
    assert np.all(data["joints_mm"][:, :, 2] > 100.0)
    # Most hands fit in the 250 mm cube entirely.
    inside = np.all(np.abs(data["uvd"]) <= 1.0, axis=(1, 2))
    assert inside.mean() >= 0.8


def test_frame_has_hand_and_ground_truth():
    rng = sample_rng(3, 0)
    frame = render_frame(rng, SynthSettings())
    assert (frame.labels == LABEL_HAND).sum() > 100
    uv = np.round(frame.intrinsics.project(frame.joints_mm)[:, :2]).astype(int)
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < 320) & (uv[:, 1] >= 0) & (uv[:, 1] < 240)
    assert inside.sum() >= 15
    sample = make_sample(frame, rng, SynthSettings())
    assert sample.crop.shape == (96, 96)


def test_shards_are_resumable_and_worker_independent(tmp_path):
    one = tmp_path / "one"
    two = tmp_path / "two"
    paths = write_shards(one, 10, seed=4, workers=1, shard_size=4, settings=SMALL, progress=False)
    write_shards(two, 10, seed=4, workers=2, shard_size=4, settings=SMALL, progress=False)
    assert [p.name for p in paths] == ["shard_00000.npz", "shard_00001.npz", "shard_00002.npz"]
    a = load_shards(paths)
    b = load_shards(sorted(two.glob("shard_*.npz")))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(a["index"], np.arange(10))
    # Remove a shard and run again: only it is rewritten, identically; the others are untouched.
    before = paths[0].stat().st_mtime_ns
    paths[1].unlink()
    write_shards(one, 10, seed=4, workers=1, shard_size=4, settings=SMALL, progress=False)
    assert paths[0].stat().st_mtime_ns == before
    np.testing.assert_array_equal(load_shards(paths)["depth"], a["depth"])
    assert json.loads((one / "manifest.json").read_text())["seed"] == 4


def test_shards_refuse_a_folder_of_other_data(tmp_path):
    write_shards(tmp_path, 4, seed=1, workers=1, shard_size=4, settings=SMALL, progress=False)
    with pytest.raises(ShardError, match="other settings"):
        write_shards(tmp_path, 4, seed=2, workers=1, shard_size=4, settings=SMALL, progress=False)
    assert (tmp_path / "shard_00000.npz").exists()


def test_training_sees_every_common_camera_while_the_test_set_keeps_its_four():
    from handpose_live.camera import CAMERA_RANGE_MM, CAMERA_SENSOR
    from handpose_live.cli.train import camera_list
    from handpose_live.synthetic.generator import TEST_CAMERAS, TRAINING_CAMERAS
    from handpose_live.training.train import TrainSettings

    assert SynthSettings().cameras == TEST_CAMERAS and TrainSettings(out_dir="x").cameras == TRAINING_CAMERAS
    assert {"realsense_d435", "realsense_d455", "realsense_l515", "orbbec_femto_nfov"} <= set(TRAINING_CAMERAS)
    for name in TRAINING_CAMERAS[len(TEST_CAMERAS):]:
        frame = render_frame(sample_rng(3, 1), SynthSettings(cameras=(name,)))
        near, far = CAMERA_RANGE_MM[name]
        assert frame.intrinsics.width == 320 and CAMERA_SENSOR[name] in ("stereo", "tof")
        assert (frame.labels == LABEL_HAND).sum() > 100 and frame.joints_mm[:, 2].min() >= near
        assert frame.depth_mm.max() <= far  # the camera's range cut-off
    assert camera_list("realsense_d435, kinect_v1_nyu") == ("realsense_d435", "kinect_v1_nyu")
    with pytest.raises(Exception, match="unknown camera 'd999'"):
        camera_list("d999")
