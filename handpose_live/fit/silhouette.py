"""Model → data: points along the cones' axes, projected into the image, must land on the hand's
silhouette; a distance transform of the hand mask (distance to the nearest hand pixel) gives each
one's residual in pixels and its gradient (htrack's E_2D, one of the two dominant terms in
hmodel's ablation). Keeps fingers out of the empty space beside the hand."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import add_row, njit, point_row

SAMPLES_PER_CONE = 3  # both ends and the middle of each axis


@njit
def sample_dt(dt: np.ndarray, u: float, v: float) -> tuple[float, float, float]:
    """Bilinear distance (px) and its gradient at (u, v) of a distance image; outside it, the edge's
    value plus the distance to the edge, pointing back in."""
    h, w = dt.shape
    uc, vc = min(max(u, 0.0), w - 1.001), min(max(v, 0.0), h - 1.001)
    i, j = int(vc), int(uc)
    fv, fu = vc - i, uc - j
    d00, d01, d10, d11 = dt[i, j], dt[i, j + 1], dt[i + 1, j], dt[i + 1, j + 1]
    value = (1 - fv) * ((1 - fu) * d00 + fu * d01) + fv * ((1 - fu) * d10 + fu * d11)
    gu = (1 - fv) * (d01 - d00) + fv * (d11 - d10)
    gv = (1 - fu) * (d10 - d00) + fu * (d11 - d01)
    ou, ov = u - uc, v - vc
    out = np.sqrt(ou * ou + ov * ov)
    if out > 1e-6:
        value += out
        gu, gv = ou / out, ov / out
    return value, gu, gv


@njit
def add_silhouette(h: np.ndarray, g: np.ndarray, cones: np.ndarray, segments: np.ndarray, n_cones: int,
                   dt: np.ndarray, origin: np.ndarray, camera: np.ndarray, axes: np.ndarray, pivots: np.ndarray,
                   translation: np.ndarray, weight: float) -> tuple[float, float]:
    """Add the rows of the axis samples of the first `n_cones` cones; the energy and the mean distance.

    Args:
        dt: distance to the nearest hand pixel over an image window read every origin[2] pixels from
            (origin[0], origin[1]), in the window's pixels.
        origin: u0, v0, step, and the image's width and height.
        camera: fx, fy, cx, cy.
    Residuals and the mean are in image pixels. Samples beyond the image's edge are skipped: the
    camera says nothing there, and a hand half out of view must not be pulled back into it.
    """
    step, width, height = origin[2], origin[3], origin[4]
    fx, fy, cx, cy = camera[0] / step, camera[1] / step, (camera[2] - origin[0]) / step, (camera[3] - origin[1]) / step
    row = np.zeros(28)
    idx = np.zeros(10, np.int64)
    m = np.zeros(3)
    energy, total, count = 0.0, 0.0, 0
    for c in range(n_cones):
        for k in range(SAMPLES_PER_CONE):
            a = k / (SAMPLES_PER_CONE - 1)
            s = (1.0 - a) * cones[c, 0:3] + a * cones[c, 4:7]
            if s[2] <= 1.0:
                continue
            u = fx * s[0] / s[2] + cx
            v = fy * s[1] / s[2] + cy
            image_u, image_v = u * step + origin[0], v * step + origin[1]
            if image_u < 0.0 or image_v < 0.0 or image_u > width - 1.0 or image_v > height - 1.0:
                continue
            r, gu, gv = sample_dt(dt, u, v)
            r, gu, gv = r * step, gu * step, gv * step  # back to image pixels
            total += r
            count += 1
            if r <= 0.0:
                continue
            # d r / d s = ∇D · J_persp: the gradient pulled back to camera-frame millimetres.
            m[0] = gu * fx / s[2]
            m[1] = gv * fy / s[2]
            m[2] = -(gu * fx * s[0] + gv * fy * s[1]) / (s[2] * s[2])
            n_dof = point_row(m, s, segments[c], axes, pivots, translation, row, idx)
            add_row(h, g, row, idx, n_dof, -r, weight)
            energy += weight * r * r
    return energy, total / max(count, 1)
