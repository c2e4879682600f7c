"""Evaluation figures written to files: the success-frame curves (CSV and PNG) and per-joint errors."""
from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np

from handpose_live.evaluation.metrics import PoseScores


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


def score_table(curves: dict[str, PoseScores]) -> list[str]:
    """The printed table: one line per method with its mean error and frames within 20 / 40 mm."""
    lines = [f"{'method':32s} {'mean mm':>8s} {'≤20 mm':>8s} {'≤40 mm':>8s}"]
    for name, s in curves.items():
        lines.append(f"{name:32s} {s.mean_mm:8.3f} {s.success_at(20):8.1%} {s.success_at(40):8.1%}")
    return lines


def write_reports(folder: Path, curves: dict[str, PoseScores], joint_names: list[str]) -> None:
    """success_curve.png / .csv and per_joint_error.csv in `folder` (made if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_curve_csv(folder / "success_curve.csv", curves)
    write_per_joint_csv(folder / "per_joint_error.csv", curves, joint_names)
    plot_success_curves(folder / "success_curve.png", curves)
