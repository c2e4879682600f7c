"""Cube crop of a hand and its exact inverse (SPEC §3), shared by training and the live app.

A cube of side C mm centred on the hand centre is projected to a rectangle of half-size
(fx, fy)·(C/2)/z_c pixels around the centre's pixel and sampled to S×S with nearest
neighbour. Crop pixel i samples the source pixel nearest to u = u_c + ((2i+1)/S − 1)·half_u.
Depth becomes (d − z_c)/(C/2) clipped to [−1, 1], missing depth the back plane (+1).
Joint targets are the joints' (u, v, z) in the same normalised coordinates:
u_n = (u − u_c)/half_u, v_n = (v − v_c)/half_v, z_n = (z − z_c)/(C/2).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics


@dataclass(frozen=True)
class CropBox:
    """Where a crop came from: enough to map normalised coordinates back to camera mm."""

    center_mm: tuple[float, float, float]
    cube_mm: float
    size: int
    intrinsics: Intrinsics

    @property
    def center_uvz(self) -> np.ndarray:
        """The centre as (u, v, z)."""
        return self.intrinsics.project(np.asarray(self.center_mm))

    @property
    def half_px(self) -> tuple[float, float]:
        """Half width and half height of the cube's projection, in source pixels."""
        z = self.center_mm[2]
        half = 0.5 * self.cube_mm / z
        return abs(self.intrinsics.fx) * half, abs(self.intrinsics.fy) * half

    def source_indices(self) -> tuple[np.ndarray, np.ndarray]:
        """Source row and column of every crop row and column (may fall outside the image)."""
        uc, vc, _ = self.center_uvz
        hu, hv = self.half_px
        g = (2.0 * np.arange(self.size) + 1.0) / self.size - 1.0
        cols = np.floor(uc + g * hu + 0.5).astype(np.int64)
        rows = np.floor(vc + g * hv + 0.5).astype(np.int64)
        return rows, cols


def make_crop_box(center_mm: np.ndarray, intrinsics: Intrinsics, cube_mm: float = 250.0, size: int = 96) -> CropBox:
    """The crop box of a cube of side `cube_mm` centred on `center_mm` (camera frame)."""
    c = np.asarray(center_mm, dtype=np.float64)
    if not np.all(np.isfinite(c)) or c[2] <= 0:
        raise ValueError(f"crop centre must be finite and in front of the camera, got {c.tolist()}")
    return CropBox((float(c[0]), float(c[1]), float(c[2])), float(cube_mm), int(size), intrinsics)


def crop_depth(depth_mm: np.ndarray, box: CropBox) -> np.ndarray:
    """The S×S network input: normalised depth in [−1, 1], missing depth and outside = +1."""
    rows, cols = box.source_indices()
    h, w = depth_mm.shape
    rin = (rows >= 0) & (rows < h)
    cin = (cols >= 0) & (cols < w)
    patch = np.zeros((box.size, box.size), dtype=np.float32)
    patch[np.ix_(rin, cin)] = depth_mm[np.ix_(rows[rin], cols[cin])]
    half = 0.5 * box.cube_mm
    out = (patch - np.float32(box.center_mm[2])) / np.float32(half)
    np.clip(out, -1.0, 1.0, out=out)
    out[patch <= 0] = 1.0
    return out


def joints_to_crop(joints_mm: np.ndarray, box: CropBox) -> np.ndarray:
    """Camera-frame joints (..., 3) in mm → normalised crop coordinates (u_n, v_n, z_n)."""
    uvz = box.intrinsics.project(joints_mm)
    uc, vc, zc = box.center_uvz
    hu, hv = box.half_px
    return np.stack([(uvz[..., 0] - uc) / hu, (uvz[..., 1] - vc) / hv, (uvz[..., 2] - zc) / (0.5 * box.cube_mm)], axis=-1)


def crop_to_joints(uvz_norm: np.ndarray, box: CropBox) -> np.ndarray:
    """Normalised crop coordinates (..., 3) → camera-frame joints in mm (inverse of `joints_to_crop`)."""
    q = np.asarray(uvz_norm, dtype=np.float64)
    uc, vc, zc = box.center_uvz
    hu, hv = box.half_px
    uvz = np.stack([uc + q[..., 0] * hu, vc + q[..., 1] * hv, zc + q[..., 2] * 0.5 * box.cube_mm], axis=-1)
    return box.intrinsics.backproject(uvz)
