"""CPU ray casting of round cones and ellipsoids into a depth image (SPEC §5).

A round cone is the convex hull of two spheres (centre a, radius ra; centre b, radius rb);
its ray intersection has a closed form (after I. Quilez, "intersectors"). An ellipsoid is
stored as its centre and the matrix M that maps it onto the unit sphere. The camera sits at
the origin looking down +z; only pixels inside each primitive's projected bounding box are
tested. `raycast` uses the numba kernel; `raycast_numpy` is the same arithmetic vectorised
with numpy, for machines without numba and for tests that check the two agree.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from handpose_live.camera import Intrinsics

try:  # numba is a dependency, but the numpy path keeps rendering possible without it.
    import numba

    _njit = numba.njit(cache=True, nogil=True)
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

    def _njit(f):
        return f


# Pixel labels written next to the depth: what each ray hit first.
LABEL_NONE, LABEL_HAND, LABEL_FOREARM, LABEL_BODY, LABEL_DISTRACTOR, LABEL_BACKGROUND = range(6)


@dataclass
class Primitives:
    """Scene geometry: round cones (N, 8) = a(3), ra, b(3), rb; ellipsoids (M, 12) = centre(3), M(9)."""

    cones: np.ndarray = field(default_factory=lambda: np.zeros((0, 8)))
    cone_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    ellipsoids: np.ndarray = field(default_factory=lambda: np.zeros((0, 12)))
    ellipsoid_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))

    def add_cones(self, cones: np.ndarray, label: int) -> None:
        """Append round cones given as (N, 8) rows a(3), ra, b(3), rb."""
        cones = np.asarray(cones, dtype=np.float64).reshape(-1, 8)
        self.cones = np.concatenate([self.cones, cones])
        self.cone_labels = np.concatenate([self.cone_labels, np.full(len(cones), label, np.int8)])

    def add_ellipsoid(self, center: np.ndarray, axes: np.ndarray, rotation: np.ndarray, label: int) -> None:
        """Append an ellipsoid with semi-axes `axes` along the columns of `rotation`."""
        m = (np.asarray(rotation, dtype=np.float64) / np.asarray(axes, dtype=np.float64)[None, :]).T
        row = np.concatenate([np.asarray(center, dtype=np.float64), m.ravel()])
        self.ellipsoids = np.concatenate([self.ellipsoids, row[None]])
        self.ellipsoid_labels = np.concatenate([self.ellipsoid_labels, np.array([label], np.int8)])

    def extend(self, other: "Primitives") -> None:
        """Append all primitives of `other`."""
        self.cones = np.concatenate([self.cones, other.cones])
        self.cone_labels = np.concatenate([self.cone_labels, other.cone_labels])
        self.ellipsoids = np.concatenate([self.ellipsoids, other.ellipsoids])
        self.ellipsoid_labels = np.concatenate([self.ellipsoid_labels, other.ellipsoid_labels])


def _aabb_corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The 8 corners of axis-aligned boxes, (N, 8, 3)."""
    sel = np.array([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=bool)
    return np.where(sel[None], hi[:, None, :], lo[:, None, :])


def _pixel_boxes(lo: np.ndarray, hi: np.ndarray, intr: Intrinsics) -> np.ndarray:
    """Conservative pixel boxes (N, 4) = u0, u1, v0, v1 (inclusive) of 3D boxes; u0 > u1 when off-screen."""
    n = len(lo)
    boxes = np.empty((n, 4), dtype=np.int64)
    if n == 0:
        return boxes
    corners = _aabb_corners(lo, hi)
    z = corners[..., 2]
    # Projecting the corners bounds the image of the box only if all of them lie in front.
    in_front = np.all(z > 1.0, axis=1)
    zs = np.where(z > 1.0, z, 1.0)
    u = intr.fx * corners[..., 0] / zs + intr.cx
    v = intr.fy * corners[..., 1] / zs + intr.cy
    boxes[:, 0] = np.floor(u.min(axis=1))
    boxes[:, 1] = np.ceil(u.max(axis=1))
    boxes[:, 2] = np.floor(v.min(axis=1))
    boxes[:, 3] = np.ceil(v.max(axis=1))
    boxes[~in_front] = (0, intr.width - 1, 0, intr.height - 1)
    behind = np.all(z <= 1.0, axis=1)
    boxes[behind] = (1, 0, 1, 0)
    boxes[:, 0:2] = np.clip(boxes[:, 0:2], 0, intr.width - 1)
    boxes[:, 2:4] = np.clip(boxes[:, 2:4], 0, intr.height - 1)
    # A box entirely left/right/above/below the image clips to an edge column it does not
    # touch; it still renders correctly (rays just miss), only a little work is wasted.
    return boxes


def primitive_boxes(prims: Primitives, intr: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    """Pixel boxes of the round cones and of the ellipsoids."""
    c = prims.cones
    lo = np.minimum(c[:, 0:3] - c[:, 3:4], c[:, 4:7] - c[:, 7:8])
    hi = np.maximum(c[:, 0:3] + c[:, 3:4], c[:, 4:7] + c[:, 7:8])
    cone_boxes = _pixel_boxes(lo, hi, intr)
    e = prims.ellipsoids
    # Half extent along world axis i of an ellipsoid x = c + M⁻¹s, |s| = 1: the norm of row i of M⁻¹.
    minv = np.linalg.inv(e[:, 3:12].reshape(-1, 3, 3)) if len(e) else np.zeros((0, 3, 3))
    ext = np.linalg.norm(minv, axis=2)
    ell_boxes = _pixel_boxes(e[:, 0:3] - ext, e[:, 0:3] + ext, intr)
    return cone_boxes, ell_boxes


@_njit
def _round_cone_t(dx, dy, dz, ax, ay, az, ra, bx, by, bz, rb):
    """Ray (origin 0, unit direction d) to round cone: nearest hit distance, or -1."""
    bax = bx - ax
    bay = by - ay
    baz = bz - az
    rr = ra - rb
    m0 = bax * bax + bay * bay + baz * baz
    m1 = -(bax * ax + bay * ay + baz * az)
    m2 = bax * dx + bay * dy + baz * dz
    m3 = -(dx * ax + dy * ay + dz * az)
    m5 = ax * ax + ay * ay + az * az
    m6 = -(bx * dx + by * dy + bz * dz)
    m7 = bx * bx + by * by + bz * bz
    d2 = m0 - rr * rr
    if d2 > 0.0:
        k2 = d2 - m2 * m2
        k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
        k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
        h = k1 * k1 - k0 * k2
        if h < 0.0:
            return -1.0
        t = (-np.sqrt(h) - k1) / k2
        y = m1 - ra * rr + t * m2
        if y > 0.0 and y < d2:
            return t
    h1 = m3 * m3 - m5 + ra * ra
    h2 = m6 * m6 - m7 + rb * rb
    t = 1e30
    if h1 > 0.0:
        t = -m3 - np.sqrt(h1)
    if h2 > 0.0:
        t2 = -m6 - np.sqrt(h2)
        if t2 < t:
            t = t2
    if t >= 1e30:
        return -1.0
    return t


@_njit
def _ellipsoid_t(dx, dy, dz, e):
    """Ray (origin 0, unit direction d) to ellipsoid row e: nearest hit distance, or -1."""
    ox = -(e[3] * e[0] + e[4] * e[1] + e[5] * e[2])
    oy = -(e[6] * e[0] + e[7] * e[1] + e[8] * e[2])
    oz = -(e[9] * e[0] + e[10] * e[1] + e[11] * e[2])
    qx = e[3] * dx + e[4] * dy + e[5] * dz
    qy = e[6] * dx + e[7] * dy + e[8] * dz
    qz = e[9] * dx + e[10] * dy + e[11] * dz
    a = qx * qx + qy * qy + qz * qz
    b = ox * qx + oy * qy + oz * qz
    c = ox * ox + oy * oy + oz * oz - 1.0
    h = b * b - a * c
    if h < 0.0:
        return -1.0
    return (-b - np.sqrt(h)) / a


@_njit
def _raycast_kernel(dirs, cones, cone_labels, cone_boxes, ells, ell_labels, ell_boxes, depth, labels):
    for k in range(cones.shape[0]):
        c = cones[k]
        for v in range(cone_boxes[k, 2], cone_boxes[k, 3] + 1):
            for u in range(cone_boxes[k, 0], cone_boxes[k, 1] + 1):
                dx = dirs[v, u, 0]
                dy = dirs[v, u, 1]
                dz = dirs[v, u, 2]
                t = _round_cone_t(dx, dy, dz, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
                if t > 0.0:
                    z = t * dz
                    if z < depth[v, u]:
                        depth[v, u] = z
                        labels[v, u] = cone_labels[k]
    for k in range(ells.shape[0]):
        e = ells[k]
        for v in range(ell_boxes[k, 2], ell_boxes[k, 3] + 1):
            for u in range(ell_boxes[k, 0], ell_boxes[k, 1] + 1):
                dz = dirs[v, u, 2]
                t = _ellipsoid_t(dirs[v, u, 0], dirs[v, u, 1], dz, e)
                if t > 0.0:
                    z = t * dz
                    if z < depth[v, u]:
                        depth[v, u] = z
                        labels[v, u] = ell_labels[k]


def _empty_buffers(intr: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    return np.full((intr.height, intr.width), np.inf), np.zeros((intr.height, intr.width), np.int8)


def raycast(prims: Primitives, intr: Intrinsics, dirs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Render primitives: (depth in mm, float64, inf where nothing is hit; int8 labels)."""
    if numba is None:  # pragma: no cover
        return raycast_numpy(prims, intr, dirs)
    dirs = intr.ray_directions() if dirs is None else dirs
    depth, labels = _empty_buffers(intr)
    cone_boxes, ell_boxes = primitive_boxes(prims, intr)
    _raycast_kernel(
        dirs, np.ascontiguousarray(prims.cones), prims.cone_labels, cone_boxes,
        np.ascontiguousarray(prims.ellipsoids), prims.ellipsoid_labels, ell_boxes, depth, labels,
    )
    return depth, labels


def _round_cone_t_np(d: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Vectorised `_round_cone_t` over rays d (..., 3); -1 where missed."""
    dx, dy, dz = d[..., 0], d[..., 1], d[..., 2]
    ax, ay, az, ra, bx, by, bz, rb = c
    bax, bay, baz = bx - ax, by - ay, bz - az
    rr = ra - rb
    m0 = bax * bax + bay * bay + baz * baz
    m1 = -(bax * ax + bay * ay + baz * az)
    m2 = bax * dx + bay * dy + baz * dz
    m3 = -(dx * ax + dy * ay + dz * az)
    m5 = ax * ax + ay * ay + az * az
    m6 = -(bx * dx + by * dy + bz * dz)
    m7 = bx * bx + by * by + bz * bz
    d2 = m0 - rr * rr
    out = np.full(d.shape[:-1], -1.0)
    decided = np.zeros(d.shape[:-1], dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        if d2 > 0.0:
            k2 = d2 - m2 * m2
            k1 = d2 * m3 - m1 * m2 + m2 * rr * ra
            k0 = d2 * m5 - m1 * m1 + m1 * rr * ra * 2.0 - m0 * ra * ra
            h = k1 * k1 - k0 * k2
            miss = h < 0.0
            t = (-np.sqrt(np.where(miss, 0.0, h)) - k1) / k2
            y = m1 - ra * rr + t * m2
            body = ~miss & (y > 0.0) & (y < d2)
            out[body] = t[body]
            decided = miss | body
        h1 = m3 * m3 - m5 + ra * ra
        h2 = m6 * m6 - m7 + rb * rb
        t1 = np.where(h1 > 0.0, -m3 - np.sqrt(np.maximum(h1, 0.0)), 1e30)
        t2 = np.where(h2 > 0.0, -m6 - np.sqrt(np.maximum(h2, 0.0)), 1e30)
        tc = np.minimum(t1, t2)
    caps = ~decided & (tc < 1e30)
    out[caps] = tc[caps]
    return out


def _ellipsoid_t_np(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Vectorised `_ellipsoid_t` over rays d (..., 3); -1 where missed."""
    m = e[3:12].reshape(3, 3)
    o = -(m @ e[0:3])
    q = d @ m.T
    a = np.einsum("...i,...i->...", q, q)
    b = q @ o
    c = o @ o - 1.0
    h = b * b - a * c
    t = (-b - np.sqrt(np.maximum(h, 0.0))) / a
    return np.where(h < 0.0, -1.0, t)


def raycast_numpy(prims: Primitives, intr: Intrinsics, dirs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pure-numpy twin of `raycast`: the same image, more slowly."""
    dirs = intr.ray_directions() if dirs is None else dirs
    depth, labels = _empty_buffers(intr)
    cone_boxes, ell_boxes = primitive_boxes(prims, intr)
    jobs = [(_round_cone_t_np, c, lab, box) for c, lab, box in zip(prims.cones, prims.cone_labels, cone_boxes)]
    jobs += [(_ellipsoid_t_np, e, lab, box) for e, lab, box in zip(prims.ellipsoids, prims.ellipsoid_labels, ell_boxes)]
    for fn, prim, lab, (u0, u1, v0, v1) in jobs:
        if u0 > u1 or v0 > v1:
            continue
        d = dirs[v0 : v1 + 1, u0 : u1 + 1]
        t = fn(d, prim)
        z = t * d[..., 2]
        dv = depth[v0 : v1 + 1, u0 : u1 + 1]
        lv = labels[v0 : v1 + 1, u0 : u1 + 1]
        closer = (t > 0.0) & (z < dv)
        dv[closer] = z[closer]
        lv[closer] = lab
    return depth, labels


def plane_depth(normal: np.ndarray, offset: float, intr: Intrinsics) -> np.ndarray:
    """Depth (mm) of the plane {p : n·p = offset} at every pixel; inf where it lies behind the camera."""
    n = np.asarray(normal, dtype=np.float64)
    u = (np.arange(intr.width) - intr.cx) / intr.fx
    v = (np.arange(intr.height) - intr.cy) / intr.fy
    denom = n[0] * u[None, :] + n[1] * v[:, None] + n[2]
    with np.errstate(divide="ignore"):
        z = offset / denom
    return np.where(z > 0.0, z, np.inf)
