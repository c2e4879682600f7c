"""Hand detection in a full depth frame: nearest blob, centre of mass, iterative re-centring (SPEC §3).

The search starts at the connected blob nearest to the camera, within a depth range, whose surface
area is plausible for a hand. Held up in front of the body, that blob is the hand: its centre of
mass is re-computed from the points inside a cube around it, a few times, so that a body or table
behind the hand drops out. Seen from the head or from above a desk, the table nearest the camera
would be the nearest blob: the frame's largest plane, when it is larger than a hand can be, is
taken out first (largest_plane). The nearest blob is then often the forearm entering from an image
border: the hand may be at the arm's free end, around the point of the arm surface farthest from
where it enters (arm_end). The detection offers that place as an alternative to the nearest blob;
the model fit keeps whichever the hand model explains better.
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
    # An arm entering from a border: the nearest blob touches it with this many search pixels (or
    # comes nearer than the camera sees), and its surface, followed up to arm_depth_mm deeper
    # without a jump over jump_mm, reaches at least min_arm_mm from there (a hand alone at the
    # border is mostly shorter).
    min_border_px: int = 4
    range_entry_mm: float = 30.0  # or comes this near the detector's nearest depth
    arm_depth_mm: float = 500.0
    jump_mm: float = 25.0
    min_arm_mm: float = 150.0
    max_arm_area_mm2: float = 30000.0  # a surface larger than arm and hand together goes on into a body
    max_end_depth_mm: float = 250.0  # and so does one whose end is this much deeper than where it enters
    hand_radius_mm: float = 100.0  # the hand's centre: the mean of the arm's surface this near its end
    # A table, desk or wall: a plane holding at least this much surface (a hand is about 15,000 mm²),
    # its pixels within plane_mm or plane_fraction of their depth (the noise grows with it).
    min_plane_area_mm2: float = 60000.0
    plane_mm: float = 8.0
    plane_fraction: float = 0.015
    plane_tries: int = 64


@dataclass(frozen=True)
class Detection:
    """A hand found in a frame: its centre of mass in camera mm and how many points support it."""

    center_mm: np.ndarray
    points: int
    tracked: bool
    # Where else the hand may be: the free end of an arm entering from an image border, when the
    # nearest blob may be that forearm (seen from the head or from above); the fit decides.
    alternative_mm: np.ndarray | None = None


def _points_in_cube(depth: np.ndarray, intr: Intrinsics, center: np.ndarray, cube: float, step: int,
                    max_z: float = np.inf, plane: Plane | None = None,
                    s: DetectSettings | None = None) -> np.ndarray:
    """Camera-frame points (N, 3) of valid pixels inside the cube around `center`, none beyond `max_z`
    nor on `plane` (tolerances of `s`)."""
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
    if plane is not None:
        inside &= ~_near_plane(pts, plane, s)
    return pts[inside]


def recenter(depth: np.ndarray, intr: Intrinsics, center: np.ndarray, s: DetectSettings,
             max_z: float = np.inf, plane: Plane | None = None) -> tuple[np.ndarray, int]:
    """Iterate: centre ← mean of the points inside the cube around it (none beyond `max_z` nor on `plane`).

    Returns the centre and its support."""
    c = np.asarray(center, dtype=np.float64)
    n = 0
    for _ in range(s.iterations):
        pts = _points_in_cube(depth, intr, c, s.cube_mm, s.step, max_z, plane, s)
        n = len(pts)
        if n == 0:
            break
        c = pts.mean(axis=0)
    return c, n


Plane = tuple[np.ndarray, float]  # unit normal n and offset: the points p with n·p = offset


def _near_plane(points: np.ndarray, plane: Plane | None, s: DetectSettings) -> np.ndarray:
    """Which of the points (N, 3) lie on the plane, within its depth-dependent tolerance."""
    if plane is None:
        return np.zeros(len(points), bool)
    n, offset = plane
    return np.abs(points @ n - offset) < np.maximum(s.plane_mm, s.plane_fraction * points[:, 2])


def largest_plane(d: np.ndarray, valid: np.ndarray, intr: Intrinsics,
                  s: DetectSettings) -> tuple[Plane, np.ndarray] | None:
    """The search image's largest plane (RANSAC) and its pixels, when it holds more surface than a
    hand could (a table, desk or wall); None otherwise."""
    vs, us = np.nonzero(valid)
    if len(vs) < 3:
        return None
    pick = np.linspace(0, len(vs) - 1, min(len(vs), 2000)).astype(np.int64)
    v, u = vs[pick], us[pick]
    pts = intr.backproject(np.stack([u * s.step, v * s.step, d[v, u]], axis=1).astype(np.float64))
    tol = np.maximum(s.plane_mm, s.plane_fraction * pts[:, 2])
    # Fixed draws: the same frame always gives the same plane.
    tri = pts[np.random.default_rng(0).integers(0, len(pts), (s.plane_tries, 3))]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normals, axis=1)
    ok = length > 1e-6
    if not ok.any():
        return None
    normals = normals[ok] / length[ok, None]
    offsets = np.einsum("ij,ij->i", normals, tri[ok, 0])
    best = int(np.argmax((np.abs(pts @ normals.T - offsets) < tol[:, None]).sum(axis=0)))
    n, offset = normals[best], float(offsets[best])
    # Every pixel at once: n·p = z · n·ray(u, v), and the ray is linear in u and v.
    h, w = d.shape
    ray_u = (n[0] / intr.fx) * (np.arange(w) * s.step - intr.cx)
    ray_v = (n[1] / intr.fy) * (np.arange(h) * s.step - intr.cy) + n[2]
    on = valid & (np.abs(d * (ray_u[None, :] + ray_v[:, None]) - offset) < np.maximum(s.plane_mm, s.plane_fraction * d))
    area = float(np.sum((s.step * d[on].astype(np.float64)) ** 2)) / abs(intr.fx * intr.fy)
    return ((n, offset), on) if area >= s.min_plane_area_mm2 else None


def find_hand(depth_mm: np.ndarray, intr: Intrinsics, s: DetectSettings = DetectSettings()) -> Detection | None:
    """Full search: the nearest blob of hand-like size off the largest plane (and, as the alternative,
    the free end of an arm entering from a border); None when nothing qualifies."""
    d = depth_mm[:: s.step, :: s.step]
    valid = (d > s.min_depth_mm) & (d < s.max_depth_mm) & np.isfinite(d)
    if not valid.any():
        return None
    found = largest_plane(d, valid, intr, s)
    plane = None
    if found is not None:
        plane, on = found
        valid = valid & ~on
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
            blob = labels == best
            arm = arm_end(d, valid, blob, near, intr, s)
            ys, xs = np.nonzero(blob)
            uvz = np.stack([xs * s.step, ys * s.step, d[ys, xs]], axis=1).astype(np.float64)
            start = intr.backproject(uvz).mean(axis=0)
            # Only the band in front counts: a body or wall close behind the hand would
            # otherwise pull the centre of mass back off the hand, more with every iteration.
            center, support = recenter(depth_mm, intr, start, s, max_z=near + s.band_mm, plane=plane)
            return Detection(center, support, tracked=False, alternative_mm=None if arm is None else arm[0])
        # Only small blobs this near: discard them and look behind.
        valid &= d >= near + s.band_mm
        if not valid.any():
            return None
        near = float(np.min(d[valid]))
    return None


def _continuous(d: np.ndarray, mask: np.ndarray, jump_mm: float) -> np.ndarray:
    """`mask` less the pixels next to a depth jump: connected parts of it are one surface."""
    cut = np.zeros_like(mask)
    dv = np.abs(np.diff(d, axis=0)) > jump_mm
    du = np.abs(np.diff(d, axis=1)) > jump_mm
    cut[1:] |= dv
    cut[:-1] |= dv
    cut[:, 1:] |= du
    cut[:, :-1] |= du
    return mask & ~cut


def arm_end(d: np.ndarray, valid: np.ndarray, blob: np.ndarray, near: float, intr: Intrinsics,
            s: DetectSettings) -> tuple[np.ndarray, int] | None:
    """Where the hand's centre would be (camera mm) and its support if the nearest blob is an arm
    entering from an image border; None when it cannot be.

    Args:
        d: the search image (every `s.step`-th pixel), mm.
        valid: its pixels within the detector's range.
        blob: the nearest blob's pixels.
        near: the nearest valid depth.
    """
    edge = np.zeros_like(blob)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    if np.count_nonzero(blob & edge) < s.min_border_px and near > s.min_depth_mm + s.range_entry_mm:
        return None
    # The arm's whole surface: from the blob on, deeper than the blob's band, but without a jump.
    surface = _continuous(d, valid & (d < near + s.arm_depth_mm), s.jump_mm)
    count, labels = cv2.connectedComponents(surface.astype(np.uint8), connectivity=8)
    overlap = np.bincount(labels[blob & surface], minlength=count)
    overlap[0] = 0
    if overlap.max() == 0:
        return None
    arm = labels == int(np.argmax(overlap))
    ys, xs = np.nonzero(arm)
    z = d[ys, xs]
    pts = intr.backproject(np.stack([xs * s.step, ys * s.step, z], axis=1).astype(np.float64))
    # The arm enters at the image border, or where it comes nearer than the camera sees.
    entering = edge[ys, xs]
    if z.min() < s.min_depth_mm + s.range_entry_mm:
        entering |= z < z.min() + s.range_entry_mm
    if np.count_nonzero(entering) < s.min_border_px:
        return None
    if float(np.sum((s.step * pts[:, 2]) ** 2)) / abs(intr.fx * intr.fy) > s.max_arm_area_mm2:
        return None  # the arm goes on into a body (held up in front of it): the nearest blob is the hand
    reach = np.linalg.norm(pts - pts[entering].mean(axis=0), axis=1)
    if reach.max() < s.min_arm_mm:
        return None
    end = pts[int(np.argmax(reach))]
    if end[2] - np.median(pts[entering, 2]) > s.max_end_depth_mm:
        return None
    hand = pts[np.linalg.norm(pts - end, axis=1) < s.hand_radius_mm]
    return hand.mean(axis=0), len(hand)


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
