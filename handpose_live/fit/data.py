"""Data → model: every observed hand point pulls the nearest cone surface towards it along the
surface normal (point-to-plane), robust (IRLS ℓ1), the closest point taken on the side of the
cone that faces the camera (htrack: back-facing matches "proved absolutely essential")."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import add_row, njit, point_row
from handpose_live.fit.model import closest_on_cone

IRLS_FLOOR_MM = 1.0  # below this a residual keeps full weight (ℓ1 would give it infinite weight)


@njit
def cone_bounds(cones: np.ndarray) -> np.ndarray:
    """(C, 4): each cone's bounding sphere, centre and radius (a cone lies within it)."""
    out = np.empty((cones.shape[0], 4))
    for c in range(cones.shape[0]):
        for k in range(3):
            out[c, k] = 0.5 * (cones[c, k] + cones[c, 4 + k])
        h0, h1, h2 = cones[c, 4] - out[c, 0], cones[c, 5] - out[c, 1], cones[c, 6] - out[c, 2]
        out[c, 3] = np.sqrt(h0 * h0 + h1 * h1 + h2 * h2) + max(cones[c, 3], cones[c, 7])
    return out


@njit
def nearest_surface(x: np.ndarray, cones: np.ndarray, bounds: np.ndarray, first: int, q: np.ndarray,
                    n: np.ndarray) -> tuple[int, float]:
    """The cone nearest to x and x's signed distance to it along the normal; q and n get the closest
    surface point and normal, moved onto the cone's outline where the normal faces away from the
    camera and x is not behind the model. `first` (a cone index, or -1) is tried first: last
    iteration's nearest cone usually still is, and its distance lets most others be skipped."""
    best, best_d = -1, 1e18
    bs0 = bs1 = bs2 = br = bn0 = bn1 = bn2 = 0.0
    n_cones = cones.shape[0]
    for k in range(-1, n_cones):
        c = first if k < 0 else k
        if c < 0 or (k >= 0 and c == first):
            continue
        # A cone lies within its bounding sphere: one that cannot beat the best so far is skipped.
        e0, e1, e2 = x[0] - bounds[c, 0], x[1] - bounds[c, 1], x[2] - bounds[c, 2]
        reach = best_d + bounds[c, 3]
        if e0 * e0 + e1 * e1 + e2 * e2 > reach * reach:
            continue
        s0, s1, s2, r, n0, n1, n2, dist = closest_on_cone(x[0], x[1], x[2], cones[c])
        d = abs(dist - r)
        if d < best_d:
            best, best_d = c, d
            bs0, bs1, bs2, br, bn0, bn1, bn2 = s0, s1, s2, r, n0, n1, n2
    q0, q1, q2 = bs0 + br * bn0, bs1 + br * bn1, bs2 + br * bn2
    qq = np.sqrt(q0 * q0 + q1 * q1 + q2 * q2)
    view0, view1, view2 = q0 / qq, q1 / qq, q2 / qq
    nv = bn0 * view0 + bn1 * view1 + bn2 * view2
    behind = x[0] * view0 + x[1] * view1 + x[2] * view2 > qq  # the point lies beyond the surface
    # A back face may explain a point behind the model (the model is in front of the data and must
    # move back), never one in front: that one is matched on the cone's outline as the camera sees it.
    if nv > 0.0 and not behind:
        m0, m1, m2 = bn0 - nv * view0, bn1 - nv * view1, bn2 - nv * view2
        mm = np.sqrt(m0 * m0 + m1 * m1 + m2 * m2)
        if mm > 1e-9:
            bn0, bn1, bn2 = m0 / mm, m1 / mm, m2 / mm
            q0, q1, q2 = bs0 + br * bn0, bs1 + br * bn1, bs2 + br * bn2
    q[0], q[1], q[2] = q0, q1, q2
    n[0], n[1], n[2] = bn0, bn1, bn2
    return best, (x[0] - q0) * bn0 + (x[1] - q1) * bn1 + (x[2] - q2) * bn2


@njit
def add_data(h: np.ndarray, g: np.ndarray, points: np.ndarray, cones: np.ndarray, segments: np.ndarray,
             axes: np.ndarray, pivots: np.ndarray, translation: np.ndarray, weight: float,
             distances: np.ndarray, nearest: np.ndarray, robust: bool) -> float:
    """Add the point-to-plane rows of all points; `distances` (N,) gets each point's |distance| (mm)
    and `nearest` (N,) its nearest cone (read as the first guess, -1 for none).
    `robust`: IRLS ℓ1 weights; off (plain least squares), far points pull hardest, as htrack does
    in its rigid iteration, so that a hand placed a finger's width off is pulled back. Returns the
    energy (Σ weight·|r| robust, else Σ weight·r²)."""
    row = np.zeros(28)
    idx = np.zeros(10, np.int64)
    q, n = np.zeros(3), np.zeros(3)
    energy = 0.0
    bounds = cone_bounds(cones)
    for i in range(points.shape[0]):
        c, r = nearest_surface(points[i], cones, bounds, nearest[i], q, n)
        distances[i] = abs(r)
        nearest[i] = c
        count = point_row(n, q, segments[c], axes, pivots, translation, row, idx)
        w = weight / max(abs(r), IRLS_FLOOR_MM) if robust else weight / IRLS_FLOOR_MM
        add_row(h, g, row, idx, count, r, w)
        energy += weight * abs(r) if robust else weight * r * r
    return energy


@njit
def data_distances(points: np.ndarray, cones: np.ndarray, distances: np.ndarray) -> None:
    """Each point's |distance| (mm) to the model, without adding rows (the fit's final error)."""
    q, n = np.zeros(3), np.zeros(3)
    bounds = cone_bounds(cones)
    for i in range(points.shape[0]):
        distances[i] = abs(nearest_surface(points[i], cones, bounds, -1, q, n)[1])
