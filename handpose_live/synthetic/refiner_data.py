"""Training samples for the centre refiner: crops around where the detector (or a perturbation of
the truth) puts the hand centre, and the offset to the hand's reference point (numpy only)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.hand.kinematics import reference_point
from handpose_live.pipeline.crop import crop_depth, make_crop_box
from handpose_live.pipeline.detect import DetectSettings, find_hand
from handpose_live.synthetic.generator import SynthFrame, SynthSettings, render_frame, sample_rng


@dataclass(frozen=True)
class StartSettings:
    """Where a refiner's training crops are centred: the detector's centre or a perturbed truth."""

    p_detector: float = 0.5  # the detector's centre (either of its crops), else the truth perturbed
    # How far off a start may be for the refiner to be asked to fix it (beyond: the detector picked
    # another object, which the refiner cannot know about).
    max_error_mm: float = 150.0
    jitter_sigmas_mm: tuple[float, ...] = (8.0, 20.0, 40.0)  # per-axis sigma of the perturbation, one drawn


# The coarse refiner (a 600 mm crop, ComRefinerConfig.cube_mm) starts where the detector's nearest
# blob is a forearm, 150-450 mm from the hand, and brings it within the fine refiner's reach.
COARSE_CUBE_MM = 600.0
COARSE_STARTS = StartSettings(p_detector=0.7, max_error_mm=450.0, jitter_sigmas_mm=(40.0, 100.0, 160.0))


def refiner_start(frame: SynthFrame, rng: np.random.Generator, detector_cube_mm: float,
                  starts: StartSettings = StartSettings()) -> np.ndarray:
    """A starting centre as the live app would have one: the detector's (either of its crops, when it
    offers the free end of an arm as well; it re-centres in the pose network's cube), or the truth perturbed."""
    ref = reference_point(frame.joints_mm)
    if rng.random() < starts.p_detector:
        det = find_hand(frame.depth_mm, frame.intrinsics, DetectSettings(cube_mm=detector_cube_mm))
        if det is not None:
            start = det.center_mm if det.alternative_mm is None or rng.random() < 0.5 else det.alternative_mm
            if np.linalg.norm(start - ref) < starts.max_error_mm:
                return start
    sigma = starts.jitter_sigmas_mm[rng.integers(len(starts.jitter_sigmas_mm))]
    start = ref + rng.normal(0.0, sigma, 3)
    # Never nearer than the detector looks (a wide jitter could put it behind the camera).
    start[2] = max(start[2], DetectSettings().min_depth_mm)
    return start


def refiner_sample(frame: SynthFrame, start_mm: np.ndarray, cube_mm: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The crop around `start_mm` and its target: (reference − start) / (cube/2), clipped to ±1."""
    box = make_crop_box(start_mm, frame.intrinsics, cube_mm, size)
    target = np.clip((reference_point(frame.joints_mm) - start_mm) / (0.5 * cube_mm), -1.0, 1.0)
    return crop_depth(frame.depth_mm, box), target.astype(np.float32)


def generate_refiner_samples(seed: int, start: int, count: int, settings: SynthSettings = SynthSettings(),
                             cube_mm: float | None = None,
                             starts: StartSettings = StartSettings()) -> dict[str, np.ndarray]:
    """Samples start … start+count−1 of `seed`: crops of `cube_mm` (default: the pose network's),
    targets, start and reference points."""
    cube = settings.cube_mm if cube_mm is None else cube_mm
    out = {"depth": np.empty((count, settings.crop_size, settings.crop_size), np.float32),
           "target": np.empty((count, 3), np.float32), "start_mm": np.empty((count, 3)),
           "reference_mm": np.empty((count, 3))}
    for k in range(count):
        rng = sample_rng(seed, start + k)
        frame = render_frame(rng, settings)
        s = refiner_start(frame, rng, settings.cube_mm, starts)
        out["depth"][k], out["target"][k] = refiner_sample(frame, s, cube, settings.crop_size)
        out["start_mm"][k] = s
        out["reference_mm"][k] = reference_point(frame.joints_mm)
    return out
