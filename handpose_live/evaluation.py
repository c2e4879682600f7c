"""Scoring predictions like the public hand-pose evaluation toolkit (SPEC §6).

Files hold one frame per line, `u v d` per joint (pixels, mm), in a dataset's label order.
Both files are back-projected with the dataset's camera (the toolkit's constants) and the
mean Euclidean joint error is taken over all frames and joints.
"""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.joints import DATASET_MAPS
from handpose_live.metrics import PoseScores, score
from handpose_live.pipeline.crop import CropBox, crop_to_joints
from handpose_live.synthetic.generator import SynthSettings, generate_samples

# Seeds of the fixed synthetic evaluation sets; training refuses them, so they are never trained on.
VALIDATION_SEED = 1_000_001
TEST_SEED = 1_000_003
RESERVED_SEEDS = (VALIDATION_SEED, TEST_SEED)

# The toolkit's intrinsics (../shared/data/benchmarks/groundtruth/CAMERA_PARAMS.md). NYU's
# toolkit uses fy = −587.07 (y up); distances do not depend on that sign, so it is positive here.
TOOLKIT_CAMERAS: dict[str, Intrinsics] = {
    "icvl": Intrinsics(240.99, 240.96, 160.0, 120.0, 320, 240),
    "nyu": Intrinsics(588.03, 587.07, 320.0, 240.0, 640, 480),
    "msra": Intrinsics(241.42, 241.42, 160.0, 120.0, 320, 240),
}


class EvalFileError(Exception):
    """A predictions or label file that cannot be read as u v d lines."""


def read_uvd_file(path: Path, num_joints: int) -> np.ndarray:
    """(N, J, 3) array from a toolkit file of `u v d` triples per joint, one frame per line."""
    path = Path(path)
    if not path.is_file():
        raise EvalFileError(f"{path} does not exist or is not a file")
    rows = []
    with path.open() as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                values = [float(x) for x in line.split()]
            except ValueError:
                raise EvalFileError(f"line {n} of {path} holds something that is not a number") from None
            if len(values) != 3 * num_joints:
                raise EvalFileError(
                    f"line {n} of {path} has {len(values)} numbers, expected {3 * num_joints} "
                    f"({num_joints} joints × u v d)"
                )
            rows.append(values)
    if not rows:
        raise EvalFileError(f"{path} holds no frames")
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), num_joints, 3)


def write_uvd_file(path: Path, uvd: np.ndarray) -> None:
    """Write (N, J, 3) u v d predictions as toolkit lines."""
    with Path(path).open("w") as f:
        for frame in np.asarray(uvd):
            f.write(" ".join(f"{x:.4f}" for x in frame.ravel()) + "\n")


def score_uvd(gt_uvd: np.ndarray, pred_uvd: np.ndarray, dataset: str) -> PoseScores:
    """Toolkit scores of u v d predictions against u v d labels of `dataset`."""
    if gt_uvd.shape != pred_uvd.shape:
        raise EvalFileError(
            f"the label file has {gt_uvd.shape[0]} frames and the predictions {pred_uvd.shape[0]}; they must match"
        )
    cam = TOOLKIT_CAMERAS[dataset]
    return score(cam.backproject(pred_uvd), cam.backproject(gt_uvd))


def score_files(gt_path: Path, pred_path: Path, dataset: str) -> PoseScores:
    """Toolkit scores of a predictions file against a label file."""
    if dataset not in TOOLKIT_CAMERAS:
        raise EvalFileError(f"unknown dataset {dataset!r}; choose one of {', '.join(TOOLKIT_CAMERAS)}")
    j = DATASET_MAPS[dataset].num_joints
    return score_uvd(read_uvd_file(gt_path, j), read_uvd_file(pred_path, j), dataset)


def write_curve_csv(path: Path, curves: dict[str, PoseScores]) -> None:
    """Success-frame curves as CSV: threshold_mm, then one column per method."""
    names = list(curves)
    t = curves[names[0]].thresholds_mm
    with Path(path).open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["threshold_mm"] + names)
        for k, th in enumerate(t):
            w.writerow([f"{th:g}"] + [f"{curves[n].success[k]:.5f}" for n in names])


def write_per_joint_csv(path: Path, curves: dict[str, PoseScores], joint_names: list[str]) -> None:
    """Per-joint mean errors as CSV: joint, then one column per method."""
    names = list(curves)
    with Path(path).open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["joint"] + names)
        for k, jn in enumerate(joint_names):
            w.writerow([jn] + [f"{curves[n].per_joint_mm[k]:.3f}" for n in names])
        w.writerow(["mean"] + [f"{curves[n].mean_mm:.3f}" for n in names])


_PLOT_COLORS = [(200, 90, 30), (40, 40, 220), (40, 160, 40), (160, 60, 160), (20, 150, 200), (90, 90, 90)]


def plot_success_curves(path: Path, curves: dict[str, PoseScores], title: str = "") -> None:
    """PNG of the fraction of frames whose worst joint is within each threshold, one line per method."""
    w, h, left, bottom, top, right = 760, 520, 70, 60, 40, 20
    img = np.full((h, w, 3), 255, np.uint8)
    x0, x1, y0, y1 = left, w - right, h - bottom, top
    t_max = max(float(s.thresholds_mm[-1]) for s in curves.values())
    font = cv2.FONT_HERSHEY_SIMPLEX

    def px(t: float, frac: float) -> tuple[int, int]:
        return int(x0 + (x1 - x0) * t / t_max), int(y0 + (y1 - y0) * frac)

    for k in range(0, 11):
        frac = k / 10
        cv2.line(img, px(0, frac), px(t_max, frac), (225, 225, 225), 1)
        cv2.putText(img, f"{int(frac * 100)}%", (8, px(0, frac)[1] + 4), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    for t in range(0, int(t_max) + 1, 10):
        cv2.line(img, px(t, 0), px(t, 1), (225, 225, 225), 1)
        cv2.putText(img, str(t), (px(t, 0)[0] - 8, y0 + 18), font, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    cv2.rectangle(img, (x0, y1), (x1, y0), (0, 0, 0), 1)
    cv2.putText(img, "maximum allowed joint error (mm)", (x0 + 180, h - 15), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, title or "fraction of frames with all joints within the threshold", (x0, 25), font, 0.5,
                (0, 0, 0), 1, cv2.LINE_AA)
    for k, (name, s) in enumerate(curves.items()):
        color = _PLOT_COLORS[k % len(_PLOT_COLORS)]
        pts = np.array([px(t, f) for t, f in zip(s.thresholds_mm, s.success)], np.int32)
        cv2.polylines(img, [pts], False, color, 2, cv2.LINE_AA)
        # Success curves rise, so the lower right corner stays free for the legend.
        y = y0 - 25 - 22 * (len(curves) - 1 - k)
        cv2.line(img, (x1 - 300, y), (x1 - 270, y), color, 2)
        cv2.putText(img, f"{name}: {s.mean_mm:.2f} mm", (x1 - 262, y + 5), font, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")


class EvalSet:
    """A fixed, labelled set of crops with what is needed to score them in millimetres."""

    def __init__(self, data: dict[str, np.ndarray]):
        self.depth = data["depth"].astype(np.float32)
        self.uvd = data["uvd"].astype(np.float32)
        self.joints_mm = data["joints_mm"].astype(np.float64)
        self.center_mm = data["center_mm"].astype(np.float64)
        self.cube_mm = data["cube_mm"].astype(np.float64)
        self.intrinsics = data["intrinsics"].astype(np.float64)

    @classmethod
    def from_frames(cls, data: dict[str, np.ndarray]) -> "EvalSet":
        """From `datasets.crop_frames` arrays: joints a dataset does not label become NaN (not scored)."""
        data = dict(data)
        data["joints_mm"] = np.where(data["mask"][..., None], data["joints_mm"], np.nan)
        return cls(data)

    @classmethod
    def synthetic(cls, seed: int, count: int, settings: SynthSettings = SynthSettings()) -> "EvalSet":
        """`count` samples of a reserved seed, rendered the same way every time."""
        return cls(generate_samples(seed, 0, count, settings))

    def __len__(self) -> int:
        return len(self.depth)

    def to_mm(self, uvd: np.ndarray) -> np.ndarray:
        """Predicted normalised joints (N, J, 3) → camera-frame millimetres."""
        out = np.empty(uvd.shape, np.float64)
        for k in range(len(uvd)):
            fx, fy, cx, cy, w, h = self.intrinsics[k]
            box = CropBox(tuple(self.center_mm[k]), float(self.cube_mm[k]), self.depth.shape[-1],
                          Intrinsics(fx, fy, cx, cy, int(w), int(h)))
            out[k] = crop_to_joints(uvd[k], box)
        return out
