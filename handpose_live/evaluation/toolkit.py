"""Scoring predictions like the public hand-pose evaluation toolkit (SPEC §6).

Files hold one frame per line, `u v d` per joint (pixels, mm), in a dataset's label order.
Both files are back-projected with the dataset's camera (the toolkit's constants) and the
mean Euclidean joint error is taken over all frames and joints.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.errors import UserError
from handpose_live.evaluation.metrics import PoseScores, score
from handpose_live.joints import DATASET_MAPS

# The toolkit's intrinsics (../shared/data/benchmarks/groundtruth/CAMERA_PARAMS.md). NYU's
# toolkit uses fy = −587.07 (y up); distances do not depend on that sign, so it is positive here.
TOOLKIT_CAMERAS: dict[str, Intrinsics] = {
    "icvl": Intrinsics(240.99, 240.96, 160.0, 120.0, 320, 240),
    "nyu": Intrinsics(588.03, 587.07, 320.0, 240.0, 640, 480),
    "msra": Intrinsics(241.42, 241.42, 160.0, 120.0, 320, 240),
}


class EvalFileError(UserError):
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
