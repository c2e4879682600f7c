"""Hand pose metrics (SPEC §6): mean 3D joint error, per-joint error, success-frame curve."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

THRESHOLDS_MM = np.arange(0, 81, dtype=np.float64)


def joint_errors(pred_mm: np.ndarray, gt_mm: np.ndarray) -> np.ndarray:
    """Euclidean error of every joint of every frame, (N, J) mm; NaN where either is missing."""
    pred = np.asarray(pred_mm, dtype=np.float64)
    gt = np.asarray(gt_mm, dtype=np.float64)
    if pred.shape != gt.shape:
        raise ValueError(f"predictions {pred.shape} and ground truth {gt.shape} differ in shape")
    return np.linalg.norm(pred - gt, axis=-1)


def success_curve(errors: np.ndarray, thresholds: np.ndarray = THRESHOLDS_MM) -> np.ndarray:
    """Fraction of frames whose worst joint error is within each threshold."""
    worst = np.nanmax(errors, axis=1)
    return (worst[None, :] <= np.asarray(thresholds)[:, None]).mean(axis=1)


@dataclass(frozen=True)
class PoseScores:
    """Scores of a set of predictions."""

    mean_mm: float
    per_joint_mm: np.ndarray  # (J,)
    thresholds_mm: np.ndarray
    success: np.ndarray  # fraction of frames with worst joint ≤ threshold
    frames: int

    def success_at(self, mm: float) -> float:
        """Fraction of frames whose worst joint is within `mm`."""
        return float(np.interp(mm, self.thresholds_mm, self.success))


def score(pred_mm: np.ndarray, gt_mm: np.ndarray, thresholds: np.ndarray = THRESHOLDS_MM) -> PoseScores:
    """Mean, per-joint and success-frame scores of (N, J, 3) predictions against ground truth."""
    e = joint_errors(pred_mm, gt_mm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # joints no frame labels have a NaN mean, as they should
        per_joint = np.nanmean(e, axis=0)
    return PoseScores(float(np.nanmean(e)), per_joint, np.asarray(thresholds, np.float64),
                      success_curve(e, thresholds), len(e))
