"""Online augmentation of 96×96 crops and their normalised targets (SPEC §4, numpy + OpenCV).

In normalised crop coordinates an augmentation is uv' = s·R(θ)·uv + t_uv, z' = s·z + t_z,
applied to the image by an affine warp and to its depth values by the same s and t_z.
Scaling by s is the crop of a cube 1/s times the size, so depth scales with it.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentSettings:
    """Ranges of the random augmentation (the paper's: ±180°, scale 0.9-1.1, shift σ 10 mm)."""

    rotation_deg: float = 180.0
    scale: tuple[float, float] = (0.9, 1.1)
    shift_sigma: float = 10.0 / 125.0  # 10 mm in units of half a 250 mm cube
    shift_clip: float = 2.0  # at most this many σ


def augment(depth: np.ndarray, uvd: np.ndarray, rng: np.random.Generator, s: AugmentSettings = AugmentSettings()):
    """Randomly rotated, scaled and shifted copies of a crop (S, S) and its targets (J, 3)."""
    theta = np.radians(rng.uniform(-s.rotation_deg, s.rotation_deg))
    scale = rng.uniform(*s.scale)
    t = np.clip(rng.normal(0.0, s.shift_sigma, 3), -s.shift_clip * s.shift_sigma, s.shift_clip * s.shift_sigma)
    return apply_affine(depth, uvd, theta, scale, t)


def apply_affine(depth: np.ndarray, uvd: np.ndarray, theta: float, scale: float, shift: np.ndarray):
    """Apply uv' = scale·R(theta)·uv + shift[:2], z' = scale·z + shift[2] to a crop and its targets."""
    n = depth.shape[0]
    c, si = np.cos(theta), np.sin(theta)
    a = scale * np.array([[c, -si], [si, c]])
    out_uvd = np.empty_like(uvd)
    out_uvd[:, :2] = uvd[:, :2] @ a.T + shift[:2]
    out_uvd[:, 2] = scale * uvd[:, 2] + shift[2]
    # Pixel centre i sits at normalised (2i+1)/n − 1, so pixel = (x + 1)·n/2 − 0.5.
    half = n / 2.0
    m = np.zeros((2, 3))
    m[:, :2] = a
    # x = (p + 0.5)/half − 1 and x' = a·x + t give p' = a·p + half·(t + 1) − 0.5 − a·(half − 0.5).
    m[:, 2] = half * (shift[:2] + 1.0) - 0.5 - a @ np.array([half - 0.5, half - 0.5])
    warped = cv2.warpAffine(
        depth.astype(np.float32), m, (n, n), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=1.0
    )
    background = warped >= 1.0
    warped = np.clip(scale * warped + shift[2], -1.0, 1.0)
    warped[background] = 1.0
    return warped.astype(np.float32), out_uvd.astype(np.float32)
