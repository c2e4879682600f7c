"""How well shape calibration recovers a known hand (issue 14): synthetic frames of a hand whose shape
factors are given, calibrated frame by frame, then held-out frames fitted with the default shape,
the calibrated one and the true one.

The fit starts from the true joints with network-like noise, around the true middle MCP, so the
figures are the calibration's and the fit's, not the network's or the detector's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import KNOWN_CAMERAS, Intrinsics
from handpose_live.fit.calibrate import CalibrationSettings, ShapeCalibrator
from handpose_live.fit.fitter import FitSettings, Fitter
from handpose_live.hand.kinematics import forearm_direction, forward_kinematics, reference_point
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import ShapeFactors
from handpose_live.synthetic.poses import GESTURES, clip_to_limits
from handpose_live.synthetic.render import Plane, render_depth
from handpose_live.synthetic.sensor import SensorSettings, apply_sensor
from handpose_live.synthetic.views import rotation_with_forearm

CALIBRATION_GESTURES = ("open", "fist", "flat", "point", "v", "claw", "grasp", "three", "ok", "pinch")
CUBE_MM = 250.0
START_NOISE_MM = 8.0  # per joint, about a good network's error


@dataclass(frozen=True)
class CalibrationFigures:
    """One known hand calibrated and then fitted on held-out frames."""

    true: ShapeFactors
    calibrated: ShapeFactors
    frames_used: int
    factor_error: np.ndarray  # (7,) |calibrated − true| per factor
    joints_mm: dict[str, float]  # mean joint error on the held-out frames: default, calibrated, true shape


def synthetic_frames(factors: ShapeFactors, count: int, seed: int, intrinsics: Intrinsics,
                     noise: bool = True) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` depth frames of the hand `factors` describe, (depth, true joints): the calibration
    gestures in turn with noise, palm roughly towards the camera 350-500 mm away, before a wall."""
    rng = np.random.default_rng(seed)
    shape = factors.shape()
    out = []
    for k in range(count):
        base = GESTURES[CALIBRATION_GESTURES[k % len(CALIBRATION_GESTURES)]]
        pose = HandPose(clip_to_limits(base + rng.normal(0.0, 6.0, base.shape)), rng.normal(0.0, 8.0, 2))
        fdir = forearm_direction(shape, pose)
        # The forearm away from the camera and down the image, as when holding a hand up to it.
        toward = np.array([rng.normal(0.0, 0.3), rng.uniform(0.5, 1.0), rng.uniform(0.2, 0.8)])
        rot = rotation_with_forearm(rng, fdir, toward / np.linalg.norm(toward))
        hand = forward_kinematics(shape, pose) @ rot.T
        joints = hand - reference_point(hand) + np.array([rng.normal(0, 40), rng.normal(0, 30), rng.uniform(350, 500)])
        depth = render_depth(joints, intrinsics, shape.joint_radii, rot @ fdir, 150.0,
                             planes=(Plane((0.0, 0.0, 1.0), float(joints[:, 2].max() + 250.0)),))
        if noise:
            depth = apply_sensor(depth, intrinsics.fx, rng, SensorSettings(kind="structured_light"))
        out.append((depth, joints))
    return out


def _fit(fitter: Fitter, depth: np.ndarray, truth: np.ndarray, intr: Intrinsics, rng: np.random.Generator):
    start = truth + rng.normal(0.0, START_NOISE_MM, truth.shape)
    return fitter.fit(depth, intr, reference_point(truth), CUBE_MM, start)


def measure_calibration(true: ShapeFactors, calibration_frames: int = 30, test_frames: int = 20, seed: int = 0,
                        settings: CalibrationSettings = CalibrationSettings(),
                        fit_settings: FitSettings = FitSettings(hand="right")) -> CalibrationFigures:
    """Calibrate on `calibration_frames` frames of the hand `true`, then fit `test_frames` others."""
    intr = KNOWN_CAMERAS["realsense_sr305"]
    rng = np.random.default_rng(seed + 1)
    cal = ShapeCalibrator(settings, fit_settings)
    for depth, truth in synthetic_frames(true, calibration_frames, seed, intr):
        fit = _fit(Fitter(fit_settings, cal.factors.shape()), depth, truth, intr, rng)
        cal.add(depth, intr, CUBE_MM, fit)
    tests = synthetic_frames(true, test_frames, seed + 1000, intr)
    errors = {}
    for name, factors in (("default", ShapeFactors()), ("calibrated", cal.factors), ("true", true)):
        fitter = Fitter(fit_settings, factors.shape())
        trial = np.random.default_rng(seed + 2)  # the same starts for each shape
        errors[name] = float(np.mean([np.linalg.norm(_fit(fitter, d, t, intr, trial).joints_mm - t, axis=1).mean()
                                      for d, t in tests]))
    return CalibrationFigures(true, cal.factors, cal.state.frames,
                              np.abs(cal.factors.as_array() - true.as_array()), errors)
