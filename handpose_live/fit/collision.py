"""Collision: the cones of neighbouring fingers must not pass into each other (htrack's E_collision,
segment-to-segment closest points): a penetration depth becomes a residual that pushes the two
bones apart along the line joining their axes."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import add_row, dot, njit, point_row

# Finger cone pairs that can touch: each bone of a finger against each bone of its neighbour
# (thumb–index, index–middle, middle–ring, ring–little); cone index = 3 · finger + bone.
# Neighbouring fingers do touch (a fist, fingers held together): only a penetration deeper than this
# fraction of the radii counts (htrack's "fraction").
TOUCH_FRACTION = 0.3
PAIRS = np.array([(3 * f + a, 3 * (f + 1) + b) for f in range(4) for a in range(3) for b in range(3)], np.int64)


@njit
def _closest_on_segments(p1: np.ndarray, q1: np.ndarray, p2: np.ndarray, q2: np.ndarray) -> tuple[float, float]:
    """Parameters (s, t) in [0, 1] of the closest points of segments p1q1 and p2q2 (Ericson 5.1.9)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, f = dot(d1, d1), dot(d2, d2), dot(d2, r)
    if a < 1e-12 and e < 1e-12:
        return 0.0, 0.0
    if a < 1e-12:
        return 0.0, min(max(f / e, 0.0), 1.0)
    c = dot(d1, r)
    if e < 1e-12:
        return min(max(-c / a, 0.0), 1.0), 0.0
    b = dot(d1, d2)
    denom = a * e - b * b
    s = min(max((b * f - c * e) / denom, 0.0), 1.0) if denom > 1e-12 else 0.0
    t = (b * s + f) / e
    if t < 0.0:
        t, s = 0.0, min(max(-c / a, 0.0), 1.0)
    elif t > 1.0:
        t, s = 1.0, min(max((b - c) / a, 0.0), 1.0)
    return s, t


@njit
def add_collision(h: np.ndarray, g: np.ndarray, cones: np.ndarray, segments: np.ndarray, pairs: np.ndarray,
                  axes: np.ndarray, pivots: np.ndarray, translation: np.ndarray, weight: float) -> float:
    """Add a row for every touching pair of neighbouring finger cones; the energy (mm²)."""
    row_a, row_b, row = np.zeros(28), np.zeros(28), np.zeros(28)
    idx_a, idx_b, idx = np.zeros(10, np.int64), np.zeros(10, np.int64), np.zeros(20, np.int64)
    energy = 0.0
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        s, t = _closest_on_segments(cones[i, 0:3], cones[i, 4:7], cones[j, 0:3], cones[j, 4:7])
        pa = (1 - s) * cones[i, 0:3] + s * cones[i, 4:7]
        pb = (1 - t) * cones[j, 0:3] + t * cones[j, 4:7]
        ra = (1 - s) * cones[i, 3] + s * cones[i, 7]
        rb = (1 - t) * cones[j, 3] + t * cones[j, 7]
        v = pa - pb
        d = np.sqrt(dot(v, v))
        depth = (1.0 - TOUCH_FRACTION) * (ra + rb) - d
        if depth <= 0.0 or d < 1e-9:
            continue
        n = v / d
        # d(distance)/dθ = nᵀ(J_pa − J_pb); the hand's rigid motion moves both alike and cancels.
        na = point_row(n, pa, segments[i], axes, pivots, translation, row_a, idx_a)
        nb = point_row(n, pb, segments[j], axes, pivots, translation, row_b, idx_b)
        count = 0
        for m in range(6, na):
            row[idx_a[m]] = 0.0
        for m in range(6, nb):
            row[idx_b[m]] = 0.0
        for m in range(6, na):
            row[idx_a[m]] += row_a[idx_a[m]]
            idx[count] = idx_a[m]
            count += 1
        for m in range(6, nb):
            if row[idx_b[m]] == 0.0:
                idx[count] = idx_b[m]
                count += 1
            row[idx_b[m]] -= row_b[idx_b[m]]
        add_row(h, g, row, idx, count, depth, weight)
        energy += weight * depth * depth
    return energy
