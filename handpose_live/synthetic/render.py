"""Render a depth image of a hand skeleton with optional scene geometry (SPEC §5)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.synthetic.geometry import hand_primitives
from handpose_live.synthetic.raycast import LABEL_BACKGROUND, Primitives, plane_depth, raycast, raycast_numpy


@dataclass(frozen=True)
class Plane:
    """An infinite plane {p : normal·p = offset} in camera coordinates (mm)."""

    normal: tuple[float, float, float]
    offset: float


def render_scene(
    prims: Primitives,
    intrinsics: Intrinsics,
    planes: tuple[Plane, ...] = (),
    use_numba: bool = True,
    dirs: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ideal depth (float32 mm, 0 where nothing is hit) and per-pixel labels of a scene."""
    depth, labels = (raycast if use_numba else raycast_numpy)(prims, intrinsics, dirs)
    for plane in planes:
        pd = plane_depth(np.array(plane.normal), plane.offset, intrinsics)
        closer = pd < depth
        depth[closer] = pd[closer]
        labels[closer] = LABEL_BACKGROUND
    depth[~np.isfinite(depth)] = 0.0
    return depth.astype(np.float32), labels


def render_depth(
    joints_mm: np.ndarray,
    intrinsics: Intrinsics,
    radii_mm: np.ndarray | None = None,
    forearm_direction: np.ndarray | None = None,
    forearm_length_mm: float = 180.0,
    scene: Primitives | None = None,
    planes: tuple[Plane, ...] = (),
    use_numba: bool = True,
) -> np.ndarray:
    """Depth image (float32 mm, 0 = no surface) of ANY 21-joint skeleton given in camera-frame mm.

    Args:
        joints_mm: (21, 3) joints, canonical order, camera frame (x right, y down, z forward).
        intrinsics: camera and image size to render with.
        radii_mm: optional (21,) joint radii; default: the average hand scaled to the skeleton.
        forearm_direction: unit wrist → elbow vector; default: straight back along the palm.
        forearm_length_mm: 0 leaves the forearm out.
        scene: extra primitives (body, objects) rendered with the hand.
        planes: background planes (walls, tables).
        use_numba: False uses the pure-numpy ray caster (same image, slower).
    """
    prims = hand_primitives(joints_mm, radii_mm, None, forearm_direction, forearm_length_mm)
    if scene is not None:
        prims.extend(scene)
    depth, _ = render_scene(prims, intrinsics, planes, use_numba)
    return depth
