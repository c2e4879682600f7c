"""Core data types passed between sources, the pipeline and the UI."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.hand.pose import HandPose
from handpose_live.hand.shape import HandShape

__all__ = ["Intrinsics", "DepthFrame", "HandPoseResult"]


@dataclass(frozen=True)
class DepthFrame:
    """One depth image in millimetres (float32, 0 = no data) with its camera and timing."""

    depth_mm: np.ndarray
    intrinsics: Intrinsics
    timestamp_s: float
    frame_number: int

    def __post_init__(self) -> None:
        h, w = self.depth_mm.shape
        if (w, h) != (self.intrinsics.width, self.intrinsics.height):
            raise ValueError(
                f"depth image is {w}x{h} but the intrinsics describe "
                f"{self.intrinsics.width}x{self.intrinsics.height}"
            )


@dataclass(frozen=True)
class HandPoseResult:
    """What the estimator found in one depth image (MediaPipe-style result).

    Joint arrays are in canonical order (`joints.Joint`); when no hand was found they are
    empty (0 rows) and `center_mm` and `crop` are None. With the model fit on, `joints_mm` are the
    fitted joints, `network_joints_mm` the network's, and the fit's figures say how well the hand
    model explains the depth; a fit that explains it badly has a low `confidence`.
    """

    hand_found: bool
    joints_mm: np.ndarray  # (21, 3) camera frame, mm
    joints_px: np.ndarray  # (21, 2) image pixels
    center_mm: np.ndarray | None  # (3,) the crop centre
    crop: np.ndarray | None  # (S, S) the network input, normalised depth
    timings_ms: dict[str, float]  # per stage: detect, refine, crop, infer, post, fit
    provider: str  # ONNX Runtime execution provider that ran the model
    tracked: bool = False  # the centre came from the previous frame's hand
    detected_center_mm: np.ndarray | None = None  # the detector's centre, before refinement
    network_joints_mm: np.ndarray | None = None  # (21, 3) the network's joints (before the fit)
    pose: HandPose | None = None  # the fitted joint angles (degrees)
    shape: HandShape | None = None  # the fitted hand's shape (and side: shape.left)
    fit_error_mm: float | None = None  # median data → model distance of the hand points
    silhouette_error_px: float | None = None  # mean distance of the model's axis samples off the hand mask
    confidence: float | None = None  # 0-1, from the two errors above; None without the fit
    handedness: str | None = None  # "left" or "right": the side of the fitted hand; None without the fit
    handedness_score: float | None = None  # 0.5-1: how clearly that side explains the depth better
