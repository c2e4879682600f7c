import numpy as np
import pytest
from conftest import open_hand_facing_camera

from handpose_live import EstimatorOptions, HandPoseEstimator, HandPoseResult
from handpose_live.joints import Joint
from handpose_live.synthetic.render import Plane, render_depth


@pytest.fixture
def frame(vga):
    joints, fdir = open_hand_facing_camera(450.0)
    return render_depth(joints, vga, forearm_direction=fdir, forearm_length_mm=120.0,
                        planes=(Plane((0.0, 0.0, 1.0), 950.0),))


def test_estimate_returns_a_full_result(tiny_onnx, frame, vga):
    with HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu")) as est:
        assert est.cube_mm == 250.0 and est.input_size == 96  # from the model's metadata
        r = est.estimate(frame, vga)
        assert isinstance(r, HandPoseResult) and r.hand_found and not r.tracked
        assert r.joints_mm.shape == (21, 3) and r.joints_px.shape == (21, 2)
        np.testing.assert_allclose(vga.project(r.joints_mm)[:, :2], r.joints_px)
        assert r.crop.shape == (96, 96) and r.provider == "CPU"
        np.testing.assert_allclose(r.detected_center_mm, r.center_mm)  # no refiner: the detector's centre
        assert set(r.timings_ms) == {"detect", "crop", "infer", "post", "fit"}
        # Untrained weights still vote inside the cube around the hand's centre.
        assert np.all(np.abs(r.network_joints_mm - r.center_mm) < 250.0)
        # The fit: a valid hand on the observed points, and how well it explains them.
        assert 0.0 <= r.confidence <= 1.0 and np.isfinite(r.fit_error_mm) and np.isfinite(r.silhouette_error_px)
        assert r.pose.fingers.shape == (5, 4) and r.shape is not None and np.all(np.isfinite(r.joints_mm))
        again = est.estimate(frame, vga)
        assert again.tracked
        # A tracked hand is cropped around the previous frame's predicted reference joint.
        np.testing.assert_allclose(again.center_mm, r.network_joints_mm[Joint.MIDDLE_MCP])


def test_without_the_fit_the_network_answers(tiny_onnx, frame, vga):
    with HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu", fit=False)) as est:
        r = est.estimate(frame, vga)
    assert set(r.timings_ms) == {"detect", "crop", "infer", "post"} and r.confidence is None
    np.testing.assert_array_equal(r.joints_mm, r.network_joints_mm)


def test_no_hand_then_full_search(tiny_onnx, frame, vga):
    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu"))
    est.estimate(frame, vga)
    empty = est.estimate(np.zeros_like(frame), vga)
    assert not empty.hand_found and empty.joints_mm.shape == (0, 3) and empty.crop is None
    assert not est.estimate(frame, vga).tracked  # the hand was lost, so it is searched again


def test_bad_input(tiny_onnx, vga):
    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu"))
    with pytest.raises(ValueError, match="does not match"):
        est.estimate(np.zeros((240, 320), np.float32), vga)
    with pytest.raises(ValueError, match="depth range"):
        EstimatorOptions(min_depth_mm=900, max_depth_mm=200)
    est.close()
    with pytest.raises(RuntimeError, match="closed"):
        est.estimate(np.zeros((480, 640), np.float32), vga)


def test_pipeline_evaluation_command(tiny_onnx, capsys, tmp_path):
    import json

    from handpose_live.cli import main

    assert main(["eval", "--pipeline", "--model", str(tiny_onnx), "--no-refiner", "--count", "3",
                 "--provider", "cpu", "--json", str(tmp_path / "p.json")]) == 0
    out = capsys.readouterr().out
    assert "hand found in 3 of 3" in out and "crops holding every joint" in out and "median ms per stage" in out
    assert "fit p95" in out and "the fitted hand's side" in out
    figures = json.loads((tmp_path / "p.json").read_text())
    assert set(figures["stage_p95_ms"]) == set(figures["stage_ms"]) and 0.0 <= figures["handedness_right"] <= 1.0
    assert "no centre refiner" in out
    assert main(["eval", "--pipeline", "--model", "missing.onnx", "--count", "3"]) == 2


def test_damaged_metadata_is_a_model_error(tiny_onnx, tmp_path):
    import onnx

    from handpose_live.pipeline.onnx_model import META_KEY, ModelError, OnnxModel

    model = onnx.load(str(tiny_onnx))
    for value in ("{not json", '{"architecture": "jgr_p2o"}', '{"input_size": -1}'):
        for prop in model.metadata_props:
            if prop.key == META_KEY:
                prop.value = value
        path = tmp_path / "damaged.onnx"
        onnx.save(model, str(path))
        with pytest.raises(ModelError, match="metadata is damaged"):
            OnnxModel(path)


def test_odd_frames_give_a_result_not_an_exception(tiny_onnx, frame, vga):
    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu"))
    h, w = frame.shape
    nan = np.full((h, w), np.nan, np.float32)
    far = np.full((h, w), 5000.0, np.float32)
    inf = frame.copy()
    inf[::7, ::5] = np.inf
    holes = frame.copy()
    holes[np.random.default_rng(0).random(frame.shape) < 0.5] = 0.0
    edge = np.roll(frame, w // 2 - 20, axis=1)  # the hand cut by the image's right edge
    two = frame.copy()
    two[50:150, 40:140] = 400.0  # a box beside the hand, nearer than it
    for depth, expect_hand in ((nan, False), (far, False), (np.zeros_like(frame), False),
                               (inf, True), (holes, True), (edge, True), (two, True)):
        est.reset()
        r = est.estimate(depth, vga)
        assert r.hand_found == expect_hand
        if r.hand_found:
            assert np.all(np.isfinite(r.joints_mm)) and np.all(np.isfinite(r.crop))


def test_a_new_hand_whose_refined_centre_moved_far_also_gets_the_detectors_crop(tiny_onnx, frame, vga, monkeypatch):
    from handpose_live.pipeline.estimator import ALTERNATIVE_MOVE_MM

    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu"))
    est.refiner = object()  # a refiner that pulls the crop 60 mm aside, as on some real frames
    monkeypatch.setattr(est, "_refine", lambda depth, intr, centre, iterations: centre + [60.0, 0.0, 0.0])
    first = est.propose(frame, vga)
    assert len(first.alternatives) == 1 and not first.result.tracked
    np.testing.assert_allclose(first.alternatives[0].center_mm, first.result.detected_center_mm)
    assert np.linalg.norm(first.result.center_mm - first.result.detected_center_mm) >= ALTERNATIVE_MOVE_MM
    r = est.fit(first)  # one of the two crops, fitted, with both crops' network time
    assert r.hand_found and r.confidence is not None
    assert any(np.allclose(r.center_mm, c.center_mm) for c in (first.result, *first.alternatives))
    assert est.propose(frame, vga).alternatives == ()  # a tracked hand: one crop
    est.set_fit(False)
    est.reset()
    assert est.propose(frame, vga).alternatives == ()  # no fit to choose: one crop


def test_an_arm_entering_from_the_border_gets_its_free_end_as_another_crop(tiny_onnx, vga, monkeypatch):
    from handpose_live.pipeline import estimator as estimator_module
    from handpose_live.pipeline.detect import Detection

    est = HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu"))
    joints, fdir = open_hand_facing_camera(450.0)
    depth = render_depth(joints, vga, forearm_direction=fdir, forearm_length_mm=120.0)
    hand, forearm = joints[Joint.MIDDLE_MCP], joints[Joint.WRIST] + 100.0 * fdir
    # The detector found the nearest blob on the forearm and the arm's free end on the hand.
    monkeypatch.setattr(estimator_module, "find_hand", lambda *a: Detection(forearm, 500, False, alternative_mm=hand))
    p = est.propose(depth, vga)
    np.testing.assert_allclose(p.result.center_mm, forearm)
    assert len(p.alternatives) == 1
    np.testing.assert_allclose(p.alternatives[0].center_mm, hand)
    assert set(p.result.timings_ms) >= {"detect", "crop", "infer", "post"}


def test_the_mirrored_crop_is_a_second_opinion_mirrored_back(tiny_onnx, frame, vga):
    from handpose_live.pipeline.network import predict_joints

    class Centroid:
        """A stand-in network: every joint at the crop's nearest pixels' centroid, plus a bias to the right."""

        def predict(self, crops):
            g = (2.0 * np.arange(crops.shape[-1]) + 1.0) / crops.shape[-1] - 1.0
            out = []
            for c in crops:
                rows, cols = np.nonzero(c <= c.min() + 0.05)
                out.append(np.tile([g[cols].mean() + 0.1, g[rows].mean(), c.min()], (21, 1)))
            return np.array(out, np.float32)

    crop = np.ones((96, 96), np.float32)
    crop[40:50, 10:20] = -0.5  # a blob left of centre, at u ≈ −0.69
    plain = predict_joints(Centroid(), crop, 250.0, mirrored=False)
    both = predict_joints(Centroid(), crop, 250.0, mirrored=True)
    np.testing.assert_allclose(plain[0], [-0.6875 + 0.1, -0.0625, -0.5], atol=1e-6)
    np.testing.assert_allclose(both[0], [-0.6875, -0.0625, -0.5], atol=1e-6)  # the bias cancels out
    # Answers further apart than AGREE_MM (0.2 × 125 mm = 25 mm here, 0.2 × 250 mm = 50 mm with a
    # 500 mm cube): two readings of the hand, and the plain one stands.
    np.testing.assert_allclose(predict_joints(Centroid(), crop, 500.0)[0], plain[0])
    # "auto" mirrors on a GPU only; the CPU here runs one crop; "on" runs both, and still answers.
    with HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu")) as est:
        assert not est.mirrored
    with HandPoseEstimator(EstimatorOptions(model_path=tiny_onnx, refiner_path=None, provider="cpu",
                                            mirrored="on")) as est:
        assert est.mirrored and est.estimate(frame, vga).hand_found
    with pytest.raises(ValueError, match="mirrored must be one of"):
        EstimatorOptions(mirrored="yes")
