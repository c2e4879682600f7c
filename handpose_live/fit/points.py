"""What the fit sees of the hand: the depth pixels inside the crop's cube, minus the forearm
beyond the wrist, subsampled to a few hundred 3D points, and a distance transform of that mask
for the silhouette term."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.jit import njit
from handpose_live.joints import BONES, Joint
from handpose_live.pipeline.crop import make_crop_box

FOREARM_MARGIN_MM = 10.0  # points more than this behind the wrist, along the palm, are forearm
# Which of the cube's points are the hand: those within NEAR_BONES_MM of a bone of the starting
# skeleton, and what joins them as one surface (neighbours less than SURFACE_STEP_MM apart in
# depth) up to REACH_MM from the bones: a finger the network misplaced is still seen, a body or a
# wall behind the hand, or an object beside it, is not. None: the whole cube.
NEAR_BONES_MM: float | None = 45.0
REACH_MM = 90.0
SURFACE_STEP_MM = 12.0
MIN_SEEDS = 20  # window pixels near the bones below which the start is not trusted to say where the hand is
_BONE_A = np.array([a for a, _ in BONES])
_BONE_B = np.array([b for _, b in BONES])
WINDOW_PX = 128  # the crop window is read every `step` pixels so that it is at most this wide


@dataclass(frozen=True)
class HandPoints:
    """The observed hand: subsampled points (N, 3) in camera mm, and the silhouette's distance image."""

    points: np.ndarray  # (N, 3)
    distance: np.ndarray  # (H, W) px (of the window's grid) to the nearest hand pixel
    origin: np.ndarray  # (5,) the window's top-left pixel (u0, v0), its step in image pixels, the image's width, height
    pixels: int  # hand pixels before subsampling


@njit
def _bone_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N,) distance (mm) of each point to the nearest of the segments a[k]–b[k]."""
    out = np.empty(points.shape[0])
    for i in range(points.shape[0]):
        px, py, pz = points[i, 0], points[i, 1], points[i, 2]
        best = np.inf
        for k in range(a.shape[0]):
            dx, dy, dz = b[k, 0] - a[k, 0], b[k, 1] - a[k, 1], b[k, 2] - a[k, 2]
            qx, qy, qz = px - a[k, 0], py - a[k, 1], pz - a[k, 2]
            dd = dx * dx + dy * dy + dz * dz
            t = (qx * dx + qy * dy + qz * dz) / dd if dd > 1e-9 else 0.0
            t = min(max(t, 0.0), 1.0)
            ex, ey, ez = qx - t * dx, qy - t * dy, qz - t * dz
            best = min(best, ex * ex + ey * ey + ez * ez)
        out[i] = np.sqrt(best)
    return out


@njit
def _grow(window: np.ndarray, seeds: np.ndarray, allowed: np.ndarray, max_step: float) -> np.ndarray:
    """`seeds` grown over 4-neighbours of `allowed` pixels whose depth differs by less than `max_step`."""
    h, w = window.shape
    out = seeds.copy()
    stack = np.empty(h * w, np.int64)
    n = 0
    for i in range(h * w):
        if out.flat[i]:
            stack[n] = i
            n += 1
    while n > 0:
        n -= 1
        v, u = stack[n] // w, stack[n] % w
        z = window[v, u]
        for dv, du in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nv, nu = v + dv, u + du
            if 0 <= nv < h and 0 <= nu < w and not out[nv, nu] and allowed[nv, nu] and \
                    abs(window[nv, nu] - z) < max_step:
                out[nv, nu] = True
                stack[n] = nv * w + nu
                n += 1
    return out


def bone_distance(points: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """(N,) distance (mm) of each point to the nearest bone of the skeleton `joints` (21, 3)."""
    j = np.ascontiguousarray(joints, np.float64)
    return _bone_distance(np.ascontiguousarray(points, np.float64), j[_BONE_A], j[_BONE_B])


def near_bones(points: np.ndarray, joints: np.ndarray, radius_mm: float) -> np.ndarray:
    """(N,) whether each point lies within `radius_mm` of a bone of the skeleton `joints` (21, 3)."""
    return bone_distance(points, joints) < radius_mm


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
        if NEAR_BONES_MM is not None:
            seeds, allowed = np.zeros_like(mask), np.zeros_like(mask)
            distance_mm = bone_distance(pts, start_joints)  # once, for both radii
            seeds[vv, uu] = keep & (distance_mm < NEAR_BONES_MM)
            allowed[vv, uu] = keep & (distance_mm < REACH_MM)
            if seeds.sum() >= MIN_SEEDS:  # else the start is nowhere near the depth: the whole cube it is
                keep = _grow(window, seeds, allowed, SURFACE_STEP_MM)[vv, uu]
        mask[vv[~keep], uu[~keep]] = False
        pts = pts[keep]
    n = len(pts)
    chosen = pts[:: max(1, -(-n // max_points))] if n else pts
    distance = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3) if mask.any() else \
        np.full(mask.shape, 1e3, np.float32)
    return HandPoints(np.ascontiguousarray(chosen), distance.astype(np.float64), np.array([u0, v0, step, w, h], float), n)
