"""Pinhole camera model: intrinsics, projection and back-projection (SPEC §2).

Camera frame: x right, y down, z forward, millimetres; u = fx·x/z + cx, v = fy·y/z + cy,
pixel centres at integer coordinates (OpenCV convention).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of a depth image of `width` × `height` pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def project(self, points_mm: np.ndarray) -> np.ndarray:
        """Project (..., 3) camera-frame points in mm to (..., 3) arrays of (u, v, z)."""
        p = np.asarray(points_mm, dtype=np.float64)
        z = p[..., 2]
        u = self.fx * p[..., 0] / z + self.cx
        v = self.fy * p[..., 1] / z + self.cy
        return np.stack([u, v, z], axis=-1)

    def backproject(self, uvz: np.ndarray) -> np.ndarray:
        """Back-project (..., 3) arrays of (u, v, z in mm) to camera-frame points in mm."""
        q = np.asarray(uvz, dtype=np.float64)
        z = q[..., 2]
        x = (q[..., 0] - self.cx) * z / self.fx
        y = (q[..., 1] - self.cy) * z / self.fy
        return np.stack([x, y, z], axis=-1)

    def scaled(self, factor: float) -> "Intrinsics":
        """Intrinsics of the same camera with the image resized by `factor`."""
        # Pixel centres sit at integers, so the principal point maps as (c + 0.5)·f − 0.5.
        return Intrinsics(
            fx=self.fx * factor,
            fy=self.fy * factor,
            cx=(self.cx + 0.5) * factor - 0.5,
            cy=(self.cy + 0.5) * factor - 0.5,
            width=int(round(self.width * factor)),
            height=int(round(self.height * factor)),
        )

    def ray_directions(self) -> np.ndarray:
        """Unit viewing rays of every pixel centre, shape (height, width, 3)."""
        u = (np.arange(self.width, dtype=np.float64) - self.cx) / self.fx
        v = (np.arange(self.height, dtype=np.float64) - self.cy) / self.fy
        d = np.empty((self.height, self.width, 3), dtype=np.float64)
        d[..., 0] = u[None, :]
        d[..., 1] = v[:, None]
        d[..., 2] = 1.0
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        return d

    def depth_to_points(self, depth_mm: np.ndarray) -> np.ndarray:
        """Back-project a depth image to an (H, W, 3) point image; 0 depth gives (0, 0, 0)."""
        h, w = depth_mm.shape
        u, v = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
        return self.backproject(np.stack([u, v, depth_mm.astype(np.float64)], axis=-1))


# A D435's depth at 640×480 as librealsense reports it (realsense-ros issue 2788); the D455 has the
# same 87°×58° depth field of view and the same 640×480 geometry.
_D4XX_640X480 = Intrinsics(384.2, 384.2, 319.5, 236.4, 640, 480)

# Well-known depth cameras (../shared/data/benchmarks/groundtruth/CAMERA_PARAMS.md). These are
# for synthesis and tests only: a live camera's intrinsics always come from the device or file.
KNOWN_CAMERAS: dict[str, Intrinsics] = {
    "realsense_sr305": Intrinsics(476.0068, 476.0068, 313.683, 242.7547, 640, 480),
    "realsense_d415": Intrinsics(592.138, 592.138, 313.79, 238.076, 640, 480),
    "realsense_sr300": Intrinsics(463.889, 463.889, 320.0, 240.0, 640, 480),
    "kinect_v1_nyu": Intrinsics(588.03, 587.07, 320.0, 240.0, 640, 480),
    "senz3d_icvl": Intrinsics(240.99, 240.96, 160.0, 120.0, 320, 240),
    "azure_kinect_nfov": Intrinsics(504.0, 504.0, 319.5, 331.5, 640, 576),  # NFOV unbinned, typical unit
    "realsense_d435": _D4XX_640X480,
    "realsense_d455": _D4XX_640X480,
    # L515 at 640×480 from its makers' 70°×55° field of view.
    "realsense_l515": Intrinsics(458.0, 458.0, 319.5, 239.5, 640, 480),
    # Orbbec Femto Bolt / Mega: the Azure Kinect's depth camera; its NFOV 640×576 image seen through
    # the central 640×480 window, so that it renders at the generator's 4:3 sizes.
    "orbbec_femto_nfov": Intrinsics(504.0, 504.0, 319.5, 283.5, 640, 480),
}

# Where each camera gives depth (mm): nearer or farther pixels read 0. SR305, SR300 and NYU's Kinect
# are what their real frames in ../shared/data/realdata show (nothing beyond 1.14 m, 1.05 m and
# 2.0 m); the others are their makers' figures.
CAMERA_RANGE_MM: dict[str, tuple[float, float]] = {
    "realsense_sr305": (110.0, 1100.0),
    "realsense_sr300": (110.0, 1050.0),
    "realsense_d415": (160.0, 3000.0),
    "kinect_v1_nyu": (400.0, 2000.0),
    "senz3d_icvl": (150.0, 1000.0),
    "azure_kinect_nfov": (500.0, 3860.0),
    "realsense_d435": (280.0, 3000.0),
    "realsense_d455": (520.0, 6000.0),
    "realsense_l515": (250.0, 9000.0),
    "orbbec_femto_nfov": (500.0, 3860.0),
}
# Where the network and the fit work best (the synthetic front views' 200-800 mm), within what the
# camera sees: the live window's "too close" / "too far" guidance.
HAND_RANGE_MM = (200.0, 800.0)
# Live cameras by the model name their SDK reports, for their depth ranges (makers' figures where
# no real frames of them were measured): D435 / D455 from 280 / 520 mm at 848×480, L515 from 250 mm.
LIVE_CAMERA_RANGE_MM: dict[str, tuple[float, float]] = {
    "SR305": CAMERA_RANGE_MM["realsense_sr305"], "SR300": CAMERA_RANGE_MM["realsense_sr300"],
    "D415": CAMERA_RANGE_MM["realsense_d415"], "D435": CAMERA_RANGE_MM["realsense_d435"],
    "D455": CAMERA_RANGE_MM["realsense_d455"], "L515": CAMERA_RANGE_MM["realsense_l515"],
    "Azure Kinect": CAMERA_RANGE_MM["azure_kinect_nfov"], "Femto": CAMERA_RANGE_MM["orbbec_femto_nfov"],
}


def hand_range_mm(camera_range_mm: tuple[float, float] | None) -> tuple[float, float]:
    """Where to hold the hand: HAND_RANGE_MM within the camera's own range (when known)."""
    near, far = HAND_RANGE_MM
    if camera_range_mm is None:
        return near, far
    return max(near, camera_range_mm[0] + 50.0), min(far, camera_range_mm[1] - 100.0)


def live_camera_range_mm(name: str) -> tuple[float, float] | None:
    """The depth range of a camera by the name its source has (e.g. "RealSense D435I"), when known."""
    upper = name.upper()
    hits = [r for model, r in LIVE_CAMERA_RANGE_MM.items() if model.upper() in upper]
    return hits[0] if hits else None


# How each camera measures depth (synthetic/sensor.py's SENSOR_KINDS).
CAMERA_SENSOR: dict[str, str] = {
    "realsense_sr305": "structured_light", "realsense_sr300": "structured_light", "realsense_d415": "stereo",
    "kinect_v1_nyu": "structured_light", "senz3d_icvl": "tof", "azure_kinect_nfov": "tof",
    "realsense_d435": "stereo", "realsense_d455": "stereo", "realsense_l515": "tof", "orbbec_femto_nfov": "tof",
}
