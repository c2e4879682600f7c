import json

import numpy as np
import pytest

from handpose_live.cli import main
from handpose_live.evaluation.calibration import measure_calibration
from handpose_live.fit.calibrate import ShapeCalibrator
from handpose_live.fit.fitter import FitResult
from handpose_live.hand.shape import HandShape, ShapeFactors
from handpose_live.profile import HandProfile, ProfileError, default_profile_path, load_profile, save_profile
from handpose_live.ui.overlay import fit_line


def test_factors_make_the_average_hand_at_one_and_check_their_numbers():
    shape = ShapeFactors().shape()
    np.testing.assert_allclose(shape.bone_lengths, HandShape.default().bone_lengths)
    big = ShapeFactors(1.1, 1.0, (1.0, 1.2, 1.0, 1.0, 1.0)).shape(left=True)
    np.testing.assert_allclose(big.bone_lengths[1], HandShape.default().bone_lengths[1] * 1.1 * 1.2)
    assert big.left
    assert ShapeFactors.from_array(big_f := np.arange(1, 8) / 4 + 0.5).as_array() == pytest.approx(big_f)
    with pytest.raises(ValueError, match="seven|7 positive"):
        ShapeFactors.from_array([1.0, -1.0, 1, 1, 1, 1, 1])


def test_profiles_round_trip_and_bad_files_say_why(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert default_profile_path() == tmp_path / "cfg" / "handpose-live" / "profile.json"
    p = HandProfile("alice", ShapeFactors(0.9, 1.05, (1.0, 0.95, 1.0, 1.02, 0.98)), 42, "synthetic", "2026-12-01")
    save_profile(p, default_profile_path())
    back = load_profile(default_profile_path())
    assert back.name == "alice" and back.frames == 42
    np.testing.assert_allclose(back.factors.as_array(), p.factors.as_array(), atol=1e-4)
    with pytest.raises(ProfileError, match="does not exist.*calibrate"):
        load_profile(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text(json.dumps({"handpose_live_profile": 1, "factors": {"scale": 1}}))
    with pytest.raises(ProfileError, match="not a handpose-live hand profile"):
        load_profile(tmp_path / "bad.json")
    (tmp_path / "junk.json").write_bytes(b"\xff\x00")
    with pytest.raises(ProfileError, match="cannot be read"):
        load_profile(tmp_path / "junk.json")


def test_calibration_finds_a_bigger_hand_and_its_fits_come_closer():
    f = measure_calibration(ShapeFactors(1.12), calibration_frames=8, test_frames=4)
    # Scale and finger lengths trade off: the fingers' overall length is what the data fixes.
    finger = f.calibrated.scale * np.mean(f.calibrated.finger_lengths)
    assert finger > 1.05 and f.frames_used == 8
    assert f.joints_mm["calibrated"] < f.joints_mm["default"] - 1.0


def test_a_poor_fit_says_nothing_about_the_shape():
    cal = ShapeCalibrator()
    shape = HandShape.default()
    poor = FitResult(np.zeros((21, 3)), None, shape, 12.0, 4.0, 0.1, 100)
    assert not cal.add(np.zeros((48, 64), np.float32), None, 250.0, poor)
    assert cal.state.frames == 0 and cal.state.rejected == 1
    assert cal.factors == ShapeFactors()


def test_calibrate_command_writes_a_profile_the_live_app_loads(tmp_path, capsys):
    profile = tmp_path / "me.json"
    assert main(["calibrate", "--headless", "--frames", "30", "--no-realtime", "--profile", str(profile),
                 "--name", "me"]) == 0
    err = capsys.readouterr().err
    assert "open your hand" in err and f"saved to {profile}" in err
    assert load_profile(profile).name == "me" and load_profile(profile).frames > 0
    assert main(["--headless", "--max-frames", "2", "--no-realtime", "--profile", str(profile)]) == 0
    assert "fitting the hand of profile 'me'" in capsys.readouterr().err
    assert main(["--headless", "--max-frames", "2", "--profile", str(tmp_path / "missing.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]


def test_the_fit_line_names_the_profile():
    assert "average hand" in fit_line(True, None, 2.0)
    assert "profile 'alice'" in fit_line(True, None, 2.0, "alice")


def test_refine_profile_goes_on_calibrating_while_tracking_and_saves_back(tmp_path, capsys, monkeypatch):
    from handpose_live.pipeline import fit as fit_stage

    monkeypatch.setattr(fit_stage, "REFINE_EVERY", 2)  # a short run still feeds the calibration
    profile = tmp_path / "me.json"
    save_profile(HandProfile("me", ShapeFactors(), 10), profile)
    assert main(["--headless", "--max-frames", "30", "--no-realtime", "--profile", str(profile),
                 "--refine-profile"]) == 0
    assert "refined from" in capsys.readouterr().err
    refined = load_profile(profile)
    assert refined.frames > 10 and refined.factors != ShapeFactors()
    assert main(["--headless", "--max-frames", "1", "--refine-profile"]) == 2
    assert "needs --profile" in capsys.readouterr().err


def test_calibration_in_the_window_prompts_and_saves(tmp_path, capsys):
    import os

    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display (make test runs the suite under Xvfb)")
    profile = tmp_path / "win.json"
    assert main(["calibrate", "--frames", "24", "--no-realtime", "--profile", str(profile), "--name", "win"]) == 0
    assert "profile 'win' refined from" in capsys.readouterr().err
    assert load_profile(profile).name == "win" and load_profile(profile).frames > 0


def test_the_panel_prompts_while_calibrating_and_shows_progress_while_refining():
    from handpose_live.fit.calibrate import CalibrationState
    from handpose_live.runtime.prompts import INFORMATION_TARGET, PROMPT_FRAMES, PROMPTS
    from handpose_live.ui.overlay import calibration_line

    half = CalibrationState(ShapeFactors(), 3, 0, np.full(7, INFORMATION_TARGET / 2))
    assert calibration_line(None, 0, True) is None
    assert calibration_line(half, PROMPT_FRAMES, True).startswith(f"CALIBRATING: {PROMPTS[1]} · 3 frames")
    assert "scale 50%" in calibration_line(half, 0, True)
    assert calibration_line(half, 0, False).startswith("refining the profile")
    done = CalibrationState(ShapeFactors(), 30, 0, np.full(7, INFORMATION_TARGET))
    assert calibration_line(done, 0, True).startswith("CALIBRATED from 30 frames")


def test_adapt_keeps_well_fitted_frames_fine_tunes_and_exports_with_its_figures(tmp_path, capsys):
    from handpose_live.pipeline.onnx_model import OnnxModel
    from handpose_live.training.adapt import AdaptSettings, adapt

    bag = tmp_path / "mine.bag"
    assert main(["record-synthetic", str(bag), "--frames", "40"]) == 0
    out = tmp_path / "mine.onnx"
    f = adapt(AdaptSettings(recordings=(str(bag),), out=str(out), minutes=0.05, val_count=8, test_count=8,
                            max_fit_error_mm=3.0, max_silhouette_px=1.5, workers=0, min_epoch_samples=96),
              progress=False)
    assert f["recordings"]["mine.bag"]["frames"] == 40 and 20 <= f["kept"] <= 40
    assert f["held_out"] == (f["kept"] + 9) // 10
    # Few kept frames are repeated up to an epoch of 96 samples, half of them synthetic.
    real = f["kept"] - f["held_out"]
    assert f["repeats"] == -(-48 // real) and f["synthetic_samples"] == real * f["repeats"]
    assert all(np.isfinite(v) for part in ("before", "after") for v in f[part].values())
    info = OnnxModel(out).info
    assert "adapted from jgr_p2o.pt on mine.bag" in info.training_data and f"{f['kept']} frames kept" in info.training_data
    # Bad input: one sentence, exit 2, nothing written.
    assert main(["adapt", str(tmp_path / "none.bag"), "--out", str(tmp_path / "x.onnx")]) == 2
    assert main(["adapt", str(bag), "--out", str(out)]) == 2
    assert "exists; add --force" in capsys.readouterr().err


def test_turning_the_fit_off_and_on_keeps_the_refinement_it_had():
    from handpose_live import EstimatorOptions, HandPoseEstimator
    from handpose_live.sources.synthetic import SyntheticCamera
    from handpose_live.synthetic.animation import AnimationSettings

    with SyntheticCamera(AnimationSettings(width=320, height=240, seed=3), realtime=False, frames=8) as cam:
        frames = [cam.read() for _ in range(8)]
    with HandPoseEstimator(EstimatorOptions(refine_profile=True, refine_every=1)) as est:
        for f in frames[:5]:
            est.estimate(f.depth_mm, f.intrinsics)
        learnt = est.calibration.frames
        assert learnt > 0
        est.set_fit(False)
        est.estimate(frames[5].depth_mm, frames[5].intrinsics)
        est.set_fit(True)
        assert est.calibration.frames == learnt
        for f in frames[6:]:
            est.estimate(f.depth_mm, f.intrinsics)
        assert est.calibration.frames >= learnt
        assert est.refined_profile.frames == est.calibration.frames
