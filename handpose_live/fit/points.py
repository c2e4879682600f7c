"""What the fit sees of the hand: the depth pixels inside the crop's cube, minus the forearm
beyond the wrist, subsampled to a few hundred 3D points, and a distance transform of that mask
for the silhouette term."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.joints import Joint
from handpose_live.pipeline.crop import make_crop_box

FOREARM_MARGIN_MM = 10.0  # points more than this behind the wrist, along the palm, are forearm
WINDOW_PX = 128  # the crop window is read every `step` pixels so that it is at most this wide


@dataclass(frozen=True)
class HandPoints:
    """The observed hand: subsampled points (N, 3) in camera mm, and the silhouette's distance image."""

    points: np.ndarray  # (N, 3)
    distance: np.ndarray  # (H, W) px (of the window's grid) to the nearest hand pixel
    origin: np.ndarray  # (5,) the window's top-left pixel (u0, v0), its step in image pixels, the image's width, height
    pixels: int  # hand pixels before subsampling


def hand_points(depth_mm: np.ndarray, intrinsics: Intrinsics, center_mm: np.ndarray, cube_mm: float,
                start_joints: np.ndarray, max_points: int) -> HandPoints:
    """The hand's points around `center_mm` (within the cube), the forearm cut off at the wrist of
    `start_joints` (the fit's starting joints)."""
    box = make_crop_box(center_mm, intrinsics, cube_mm, 2)
    (uc, vc, zc), (hu, hv) = box.center_uvz, box.half_px
    h, w = depth_mm.shape
    u0, u1 = max(int(np.floor(uc - hu)), 0), min(int(np.ceil(uc + hu)) + 1, w)
    v0, v1 = max(int(np.floor(vc - hv)), 0), min(int(np.ceil(vc + hv)) + 1, h)
    if u1 - u0 < 2 or v1 - v0 < 2:
        return HandPoints(np.zeros((0, 3)), np.zeros((1, 1)), np.array([0.0, 0.0, 1.0, w, h], float), 0)
    # A near hand covers hundreds of pixels across: every step-th pixel is plenty for a few hundred
    # points and a silhouette, at a fraction of the cost.
    step = max(1, -(-(u1 - u0) // WINDOW_PX))
    window = np.nan_to_num(depth_mm[v0:v1:step, u0:u1:step].astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    mask = (window > 0) & (np.abs(window - zc) < 0.5 * cube_mm)
    vv, uu = np.nonzero(mask)
    z = window[vv, uu].astype(np.float64)
    pts = intrinsics.backproject(np.stack([uu * step + u0, vv * step + v0, z], axis=1).astype(np.float64))
    wrist, middle = start_joints[Joint.WRIST], start_joints[Joint.MIDDLE_MCP]
    along = middle - wrist
    norm = float(np.linalg.norm(along))
    if len(pts) and norm > 1e-6 and np.all(np.isfinite(along)):
        keep = (pts - wrist) @ (along / norm) > -FOREARM_MARGIN_MM
        mask[vv[~keep], uu[~keep]] = False
        pts = pts[keep]
    n = len(pts)
    chosen = pts[:: max(1, -(-n // max_points))] if n else pts
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) if mask.any() else \
        np.full(mask.shape, 1e3, np.float32)
    return HandPoints(np.ascontiguousarray(chosen), distance.astype(np.float64), np.array([u0, v0, step, w, h], float), n)
