"""Training samples for the centre refiner: crops around where the detector (or a perturbation of
the truth) puts the hand centre, and the offset to the hand's reference point (numpy only)."""
from __future__ import annotations

import numpy as np

from handpose_live.hand.kinematics import reference_point
from handpose_live.pipeline.crop import crop_depth, make_crop_box
from handpose_live.pipeline.detect import DetectSettings, find_hand
from handpose_live.synthetic.generator import SynthFrame, SynthSettings, render_frame, sample_rng

# How far off a start may be for the refiner to be asked to fix it (beyond: the detector picked
# another object, which the refiner cannot know about).
MAX_START_ERROR_MM = 150.0
JITTER_SIGMAS_MM = (8.0, 20.0, 40.0)


def refiner_start(frame: SynthFrame, rng: np.random.Generator, cube_mm: float, p_detector: float = 0.5) -> np.ndarray:
    """A starting centre as the live app would have one: the detector's (either of its crops, when it
    offers the free end of an arm as well), or the truth perturbed."""
    ref = reference_point(frame.joints_mm)
    if rng.random() < p_detector:
        det = find_hand(frame.depth_mm, frame.intrinsics, DetectSettings(cube_mm=cube_mm))
        if det is not None:
            start = det.center_mm if det.alternative_mm is None or rng.random() < 0.5 else det.alternative_mm
            if np.linalg.norm(start - ref) < MAX_START_ERROR_MM:
                return start
    sigma = JITTER_SIGMAS_MM[rng.integers(len(JITTER_SIGMAS_MM))]
    return ref + rng.normal(0.0, sigma, 3)


def refiner_sample(frame: SynthFrame, start_mm: np.ndarray, cube_mm: float, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The crop around `start_mm` and its target: (reference − start) / (cube/2), clipped to ±1."""
    box = make_crop_box(start_mm, frame.intrinsics, cube_mm, size)
    target = np.clip((reference_point(frame.joints_mm) - start_mm) / (0.5 * cube_mm), -1.0, 1.0)
    return crop_depth(frame.depth_mm, box), target.astype(np.float32)


def generate_refiner_samples(seed: int, start: int, count: int,
                             settings: SynthSettings = SynthSettings()) -> dict[str, np.ndarray]:
    """Samples start … start+count−1 of `seed`: crops, targets, start and reference points."""
    out = {"depth": np.empty((count, settings.crop_size, settings.crop_size), np.float32),
           "target": np.empty((count, 3), np.float32), "start_mm": np.empty((count, 3)),
           "reference_mm": np.empty((count, 3))}
    for k in range(count):
        rng = sample_rng(seed, start + k)
        frame = render_frame(rng, settings)
        s = refiner_start(frame, rng, settings.cube_mm)
        out["depth"][k], out["target"][k] = refiner_sample(frame, s, settings.cube_mm, settings.crop_size)
        out["start_mm"][k] = s
        out["reference_mm"][k] = reference_point(frame.joints_mm)
    return out
