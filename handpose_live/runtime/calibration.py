"""`handpose-live calibrate`: the user shows their hand to the camera (open, a fist, fingers spread,
in turn, as the prompts on stderr say), every well-fitted frame feeds the shape calibration
(fit/calibrate.py), the fit switches to the shape found so far as it goes, and the profile is saved.
"""
from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from handpose_live.fit.calibrate import ShapeCalibrator
from handpose_live.fit.fitter import FitResult, FitSettings
from handpose_live.hand.shape import FACTOR_NAMES
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.onnx_model import ModelError
from handpose_live.profile import HandProfile, default_profile_path, save_profile
from handpose_live.runtime.prompts import complete, progress_text, prompt_for
from handpose_live.runtime.session import AppError
from handpose_live.sources.base import SourceError
from handpose_live.sources.factory import make_source
from handpose_live.types import HandPoseResult

UPDATE_EVERY = 5  # used frames between switches of the fit to the shape found so far


@dataclass(frozen=True)
class CalibrateOptions:
    """What `calibrate` is told on the command line."""

    camera: str | None = None
    recording: Path | None = None
    model: Path | None = None
    provider: str = "auto"
    profile: Path | None = None  # None: the user's config folder
    name: str = "my hand"
    max_frames: int = 600
    realtime: bool = True
    hand: str = "auto"


def _as_fit(estimator: HandPoseEstimator, r: HandPoseResult) -> FitResult:
    """The fit behind a result, its state recovered by the fitter's IK of the fitted joints."""
    ik = estimator.fit_stage.fitter.inverse_kinematics(r.joints_mm, r.shape.left)
    return FitResult(r.joints_mm, ik.state, r.shape, r.fit_error_mm, r.silhouette_error_px, r.confidence, 0)


def run_calibration(options: CalibrateOptions, stderr: IO[str] | None = None) -> int:
    """Calibrate on the source and save the profile; 0, or 2 with one sentence when it cannot start
    or no frame was good enough (nothing is written then)."""
    stderr = stderr or sys.stderr
    path = options.profile or default_profile_path()
    try:
        estimator = HandPoseEstimator(EstimatorOptions(model_path=options.model, provider=options.provider,
                                                       fit_settings=FitSettings(hand=options.hand)))
    except ModelError as e:
        raise AppError(str(e)) from None
    try:
        source = make_source(options.camera, options.recording, options.realtime, loop=False)
        source.open()
    except SourceError as e:
        estimator.close()
        raise AppError(str(e)) from None
    cal = ShapeCalibrator(fit_settings=estimator.options.fit_settings)
    used = 0
    bar = tqdm(total=options.max_frames, desc="calibrating", unit="frame", file=stderr)
    prompt = None
    try:
        for k in range(options.max_frames):
            frame = source.read()
            if frame is None:
                break
            if prompt_for(k) != prompt:
                prompt = prompt_for(k)
                bar.write(f"handpose-live: {prompt}", file=stderr)
            r = estimator.estimate(frame.depth_mm, frame.intrinsics)
            if r.hand_found and r.shape is not None and cal.add(frame.depth_mm, frame.intrinsics, estimator.cube_mm,
                                                                _as_fit(estimator, r)):
                used += 1
                if used % UPDATE_EVERY == 0:
                    estimator.set_profile(HandProfile(options.name, cal.factors))
            bar.set_postfix_str(f"{used} used · " + progress_text(cal.state.information), refresh=False)
            bar.update(1)
            if complete(cal.state.information):
                break
    finally:
        bar.close()
        source.close()
        estimator.close()
    state = cal.state
    if state.frames == 0:
        raise AppError(f"no frame was fitted well enough to calibrate ({state.rejected} tried): hold one hand "
                       f"20-80 cm from the camera, nothing else nearer")
    profile = HandProfile(options.name, state.factors, state.frames, source.name,
                          datetime.date.today().isoformat())
    save_profile(profile, path)
    factors = ", ".join(f"{n} {v:.3f}" for n, v in zip(FACTOR_NAMES, state.factors.as_array()))
    print(f"handpose-live: profile '{options.name}' from {state.frames} frames ({state.rejected} too poorly fitted) "
          f"saved to {path}: {factors}", file=stderr)
    return 0
