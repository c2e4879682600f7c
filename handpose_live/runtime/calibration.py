"""`handpose-live calibrate`: the user shows their hand to the camera (open, a fist, fingers spread,
in turn, as the prompts on stderr say), every well-fitted tracked frame feeds the shape calibration
(fit/calibrate.py, through the estimator's profile refinement, as in the window), the fit switches
to the shape found so far as it goes, and the profile is saved.
"""
from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tqdm import tqdm

from handpose_live.fit.fitter import FitSettings
from handpose_live.hand.shape import FACTOR_NAMES, ShapeFactors
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.onnx_model import ModelError
from handpose_live.profile import HandProfile, default_profile_path, save_profile
from handpose_live.runtime.prompts import complete, progress_text, prompt_for
from handpose_live.runtime.session import AppError
from handpose_live.sources.base import SourceError
from handpose_live.sources.factory import make_source


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


def run_calibration(options: CalibrateOptions, stderr: IO[str] | None = None) -> int:
    """Calibrate on the source and save the profile; 0, or 2 with one sentence when it cannot start
    or no frame was good enough (nothing is written then)."""
    stderr = stderr or sys.stderr
    path = options.profile or default_profile_path()
    try:
        # The estimator's own refinement calibrates (as in the window), here from every tracked
        # frame: nothing runs in real time beside it.
        estimator = HandPoseEstimator(EstimatorOptions(model_path=options.model, provider=options.provider,
                                                       fit_settings=FitSettings(hand=options.hand),
                                                       profile=HandProfile(options.name, ShapeFactors()),
                                                       refine_profile=True, refine_every=1))
    except ModelError as e:
        raise AppError(str(e)) from None
    try:
        source = make_source(options.camera, options.recording, options.realtime, loop=False)
        source.open()
    except SourceError as e:
        estimator.close()
        raise AppError(str(e)) from None
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
            estimator.estimate(frame.depth_mm, frame.intrinsics)
            state = estimator.calibration
            bar.set_postfix_str(f"{state.frames} used · " + progress_text(state.information), refresh=False)
            bar.update(1)
            if complete(state.information):
                break
    finally:
        bar.close()
        source.close()
        state = estimator.calibration
        estimator.close()
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
