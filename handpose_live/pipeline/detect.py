"""Hand detection in a full depth frame: nearest blob, centre of mass, iterative re-centring (SPEC §3).

The hand is the connected blob nearest to the camera, within a depth range, whose surface
area is plausible for a hand; its centre of mass is then re-computed from the points inside
a cube around it, a few times, so that a body or table behind the hand drops out.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from handpose_live.camera import Intrinsics


@dataclass(frozen=True)
class DetectSettings:
    """Where a hand may be and how big it is."""

    min_depth_mm: float = 150.0
    max_depth_mm: float = 1200.0
    band_mm: float = 150.0  # the blob is searched within this depth of the nearest surface
    min_area_mm2: float = 2000.0  # smaller blobs (noise, flying pixels, a pen) are not hands
    cube_mm: float = 250.0
    iterations: int = 4
    step: int = 2  # search on every `step`-th pixel: plenty for a hand, 4× less work
    min_track_points: int = 15  # points (every 4th pixel) left in the cube for a tracked hand to count


@dataclass(frozen=True)
class Detection:
    """A hand found in a frame: its centre of mass in camera mm and how many points support it."""

    center_mm: np.ndarray
    points: int
    tracked: bool


def _points_in_cube(depth: np.ndarray, intr: Intrinsics, center: np.ndarray, cube: float, step: int,
                    max_z: float = np.inf) -> np.ndarray:
    """Camera-frame points (N, 3) of valid pixels inside the cube around `center`, none beyond `max_z`."""
    half = 0.5 * cube
    uc, vc, zc = intr.project(center)
    hu, hv = abs(intr.fx) * half / max(zc - half, 1.0), abs(intr.fy) * half / max(zc - half, 1.0)
    h, w = depth.shape
    u0, u1 = int(max(uc - hu, 0)), int(min(uc + hu + 1, w))
    v0, v1 = int(max(vc - hv, 0)), int(min(vc + hv + 1, h))
    if u0 >= u1 or v0 >= v1:
        return np.zeros((0, 3))
    patch = depth[v0:v1:step, u0:u1:step]
    vv, uu = np.nonzero((patch > zc - half) & (patch < min(zc + half, max_z)))
    if len(vv) == 0:
        return np.zeros((0, 3))
    uvz = np.stack([uu * step + u0, vv * step + v0, patch[vv, uu]], axis=1).astype(np.float64)
    pts = intr.backproject(uvz)
    inside = np.all(np.abs(pts - center) < half, axis=1)
    return pts[inside]


def recenter(depth: np.ndarray, intr: Intrinsics, center: np.ndarray, s: DetectSettings,
             max_z: float = np.inf) -> tuple[np.ndarray, int]:
    """Iterate: centre ← mean of the points inside the cube around it (none beyond `max_z`).

    Returns the centre and its support."""
    c = np.asarray(center, dtype=np.float64)
    n = 0
    for _ in range(s.iterations):
        pts = _points_in_cube(depth, intr, c, s.cube_mm, s.step, max_z)
        n = len(pts)
        if n == 0:
            break
        c = pts.mean(axis=0)
    return c, n


def find_hand(depth_mm: np.ndarray, intr: Intrinsics, s: DetectSettings = DetectSettings()) -> Detection | None:
    """Full search: the nearest blob of hand-like size; None when nothing qualifies."""
    d = depth_mm[:: s.step, :: s.step]
    valid = (d > s.min_depth_mm) & (d < s.max_depth_mm) & np.isfinite(d)
    if not valid.any():
        return None
    # Try the nearest surfaces first; a blob too small to be a hand moves the search further back.
    near = float(np.min(d[valid]))
    while near < s.max_depth_mm:
        mask = (valid & (d < near + s.band_mm)).astype(np.uint8)
        count, labels = cv2.connectedComponents(mask, connectivity=8)
        lab = labels[mask.astype(bool)]
        z = d[mask.astype(bool)].astype(np.float64)
        # Per blob: surface area (each sample stands for (step·z/f)² mm²) and mean depth, in one pass.
        area = np.bincount(lab, weights=(s.step * z) ** 2, minlength=count) / abs(intr.fx * intr.fy)
        n = np.bincount(lab, minlength=count)
        mean_z = np.bincount(lab, weights=z, minlength=count) / np.maximum(n, 1)
        mean_z[(area < s.min_area_mm2) | (np.arange(count) == 0)] = np.inf
        best = int(np.argmin(mean_z))
        if np.isfinite(mean_z[best]):
            ys, xs = np.nonzero(labels == best)
            uvz = np.stack([xs * s.step, ys * s.step, d[ys, xs]], axis=1).astype(np.float64)
            start = intr.backproject(uvz).mean(axis=0)
            # Only the band in front counts: a body or wall close behind the hand would
            # otherwise pull the centre of mass back off the hand, more with every iteration.
            center, support = recenter(depth_mm, intr, start, s, max_z=near + s.band_mm)
            return Detection(center, support, tracked=False)
        # Only small blobs this near: discard them and look behind.
        valid &= d >= near + s.band_mm
        if not valid.any():
            return None
        near = float(np.min(d[valid]))
    return None


def track_hand(depth_mm: np.ndarray, intr: Intrinsics, previous_mm: np.ndarray,
               s: DetectSettings = DetectSettings()) -> Detection | None:
    """Keep the previous frame's hand centre if the hand is still there; None if it is lost.

    No re-centring: the previous centre is the pose network's reference joint, anchored to
    the hand, while a centre of mass recomputed frame after frame slides down the forearm.
    The check is cheap (every 4th pixel), so a tracked frame costs well under a millisecond.
    """
    n = len(_points_in_cube(depth_mm, intr, np.asarray(previous_mm, dtype=np.float64), s.cube_mm, 4))
    if n < s.min_track_points:
        return None
    return Detection(np.asarray(previous_mm, dtype=np.float64), n, tracked=True)
