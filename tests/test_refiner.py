import csv

import numpy as np
import pytest
import torch
from conftest import open_hand_facing_camera

from handpose_live import EstimatorOptions, HandPoseEstimator
from handpose_live.hand.kinematics import reference_point
from handpose_live.model.com_refiner import ComRefiner, ComRefinerConfig
from handpose_live.model.export import export_onnx
from handpose_live.pipeline.onnx_model import ModelError, OnnxModel
from handpose_live.synthetic.generator import SynthSettings, render_frame, sample_rng
from handpose_live.synthetic.refiner_data import (
    COARSE_CUBE_MM,
    COARSE_STARTS,
    generate_refiner_samples,
    refiner_sample,
    refiner_start,
)
from handpose_live.synthetic.render import Plane, render_depth
from handpose_live.training.refiner import CHECKPOINT, LOG, RefinerSettings, train_refiner

TINY = ComRefinerConfig(channels=(4, 8, 8, 8, 8), hidden=16)


def test_refiner_shapes_and_config_checks():
    assert ComRefiner()(torch.zeros(3, 1, 96, 96)).shape == (3, 3)
    with pytest.raises(ValueError, match="cannot be halved"):
        ComRefiner(ComRefinerConfig(input_size=100))


def test_targets_point_from_the_start_to_the_reference():
    frame = render_frame(sample_rng(2, 0), SynthSettings())
    ref = reference_point(frame.joints_mm)
    start = ref + np.array([20.0, -15.0, 30.0])
    crop, target = refiner_sample(frame, start, 250.0, 96)
    np.testing.assert_allclose(start + target * 125.0, ref, atol=1e-3)
    far = refiner_sample(frame, ref + np.array([400.0, 0, 0]), 250.0, 96)[1]
    assert far[0] == -1.0  # clipped to the cube
    data = generate_refiner_samples(3, 0, 6)
    assert data["depth"].shape == (6, 96, 96)
    assert np.all(np.linalg.norm(data["start_mm"] - data["reference_mm"], axis=1) < 200.0)


@pytest.fixture(scope="module")
def refiner_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("refiner")
    settings = RefinerSettings(out_dir=str(out), model=TINY, steps=4, batch_size=4, val_count=6, val_every=2,
                               workers=0)
    figures = train_refiner(settings, progress=False)
    return out, settings, figures


def test_refiner_training_logs_checkpoints_and_resumes(refiner_run):
    out, settings, figures = refiner_run
    assert figures["step"] == 4 and (out / CHECKPOINT).is_file()
    assert figures["val_start_error_mm"] > 0
    from dataclasses import replace

    train_refiner(replace(settings, steps=6), progress=False)
    steps = [r["step"] for r in csv.DictReader((out / LOG).open())]
    assert steps == ["2", "4", "6"]
    # The cosine schedule's progress travels in the checkpoint: a resumed run goes on down the curve.
    assert torch.load(out / CHECKPOINT, weights_only=False)["progress"] == pytest.approx(1.0)


def test_refiner_starts_from_init_weights_and_refuses_others(refiner_run, tmp_path):
    out, settings, _ = refiner_run
    from dataclasses import replace

    start = torch.load(out / CHECKPOINT, weights_only=False)["model"]
    fresh = replace(settings, out_dir=str(tmp_path / "a"), steps=1, val_every=1, lr=1e-12,
                    init=str(out / CHECKPOINT))
    train_refiner(fresh, progress=False)
    got = torch.load(tmp_path / "a" / CHECKPOINT, weights_only=False)["model"]
    key = next(k for k in start if k.endswith("weight"))
    assert torch.allclose(got[key], start[key], atol=1e-6)
    with pytest.raises(ValueError, match="another refiner configuration"):
        train_refiner(replace(fresh, out_dir=str(tmp_path / "b"), model=ComRefinerConfig()), progress=False)


def test_refiner_export_and_estimator_use(refiner_run, tiny_onnx, tmp_path, vga):
    out, _, _ = refiner_run
    info, err = export_onnx(out / CHECKPOINT, tmp_path / "refiner.onnx")
    assert info.architecture == "com_refiner" and err < 1e-4
    assert OnnxModel(tmp_path / "refiner.onnx", "cpu").predict(np.zeros((2, 96, 96), np.float32)).shape == (2, 3)
    joints, fdir = open_hand_facing_camera(450.0)
    depth = render_depth(joints, vga, forearm_direction=fdir, planes=(Plane((0.0, 0.0, 1.0), 950.0),))
    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=tmp_path / "refiner.onnx",
                                             refine_iterations=2, provider="cpu"))
    r = est.estimate(depth, vga)
    assert r.hand_found and "refine" in r.timings_ms
    # Swapped models are refused with a clear error.
    with pytest.raises(ModelError, match="not a pose network"):
        HandPoseEstimator(EstimatorOptions(model_path=tmp_path / "refiner.onnx", refiner_path=None, provider="cpu"))
    with pytest.raises(ModelError, match="not a centre-refiner"):
        HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=tiny_onnx, provider="cpu"))


def test_export_writes_the_weights_another_run_starts_from(refiner_run, tmp_path):
    from dataclasses import replace

    from handpose_live.cli import main

    out, settings, _ = refiner_run
    weights = tmp_path / "com_refiner.pt"
    assert main(["export", "--checkpoint", str(out / CHECKPOINT), "--out", str(tmp_path / "r.onnx"),
                 "--weights", str(weights)]) == 0
    saved = torch.load(weights, weights_only=False)
    assert saved["architecture"] == "com_refiner" and "optimizer" not in saved
    train_refiner(replace(settings, out_dir=str(tmp_path / "next"), steps=1, val_every=1, init=str(weights)),
                  progress=False)
    assert main(["export", "--checkpoint", str(out / CHECKPOINT), "--out", str(tmp_path / "r2.onnx"),
                 "--weights", str(weights)]) == 2  # exists: --force replaces it
    assert not (tmp_path / "r2.onnx").exists()  # refused before anything was written


def test_coarse_starts_reach_further_and_stay_in_front_of_the_camera():
    settings = SynthSettings()
    far = []
    for k in range(12):
        rng = sample_rng(5, k)
        frame = render_frame(rng, settings)
        start = refiner_start(frame, rng, settings.cube_mm, COARSE_STARTS)
        assert start[2] >= 150.0
        far.append(np.linalg.norm(start - reference_point(frame.joints_mm)))
    assert np.mean(far) > 60.0  # wider than the fine refiner's starts (sigmas 8-40 mm)
    data = generate_refiner_samples(3, 0, 4, cube_mm=COARSE_CUBE_MM, starts=COARSE_STARTS)
    # Targets are in units of the coarse cube's half side.
    np.testing.assert_allclose(data["target"], np.clip((data["reference_mm"] - data["start_mm"]) / 300.0, -1, 1),
                               atol=1e-6)


def test_coarse_refiner_trains_from_a_fine_one_and_runs_only_for_a_new_hand(refiner_run, tiny_onnx, tmp_path, vga):
    from dataclasses import replace

    out, settings, _ = refiner_run
    coarse = replace(settings, out_dir=str(tmp_path / "coarse"), steps=1, val_every=1, init=str(out / CHECKPOINT),
                     model=replace(TINY, cube_mm=COARSE_CUBE_MM), starts=COARSE_STARTS)
    train_refiner(coarse, progress=False)  # the fine refiner's weights start it: only the cube differs
    info, _ = export_onnx(tmp_path / "coarse" / CHECKPOINT, tmp_path / "coarse.onnx")
    assert info.cube_mm == COARSE_CUBE_MM
    export_onnx(out / CHECKPOINT, tmp_path / "fine.onnx")
    joints, fdir = open_hand_facing_camera(450.0)
    depth = render_depth(joints, vga, forearm_direction=fdir, planes=(Plane((0.0, 0.0, 1.0), 950.0),))
    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=tmp_path / "fine.onnx",
                                             coarse_refiner_path=tmp_path / "coarse.onnx", provider="cpu"))
    calls = []
    predict = est.coarse_refiner.predict
    est.coarse_refiner.predict = lambda x: calls.append(len(x)) or predict(x)
    first = est.propose(depth, vga).result
    assert not first.tracked and len(calls) >= 1  # the detector's centre (and an arm's end, if offered)
    calls.clear()
    second = est.propose(depth, vga).result
    assert second.tracked and calls == []  # a tracked hand is near its reference point already
    without = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None,
                                                 coarse_refiner_path=tmp_path / "coarse.onnx", provider="cpu"))
    assert without.coarse_refiner is None  # no refiner, no refinement at all
