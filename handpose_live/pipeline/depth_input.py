"""Depth images as users pass them: float millimetres, or a camera's integer counts with its unit.

A RealSense gives uint16 counts of `depth_scale` metres (1 mm by default; 0.125 mm on an L515 or
an SR305 in its short range), an Azure Kinect uint16 millimetres. Depth in metres is the common
mistake: no hand is ever found in it, so it is refused with a sentence saying so.
"""
from __future__ import annotations

import numpy as np

# No depth camera measures beyond 20 m; an image whose largest value is below this is in metres.
_METRES_LIMIT = 20.0


def depth_in_mm(depth: np.ndarray, depth_scale_mm: float | None = None) -> np.ndarray:
    """`depth` as float32 millimetres (0 = no data): integer counts × `depth_scale_mm` (default 1 mm),
    float values as millimetres (× `depth_scale_mm` when given). Raises ValueError for values in metres."""
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise ValueError(f"a depth image has two dimensions (height, width), got shape {depth.shape}")
    if depth_scale_mm is not None and not depth_scale_mm > 0:
        raise ValueError(f"depth_scale_mm must be positive, got {depth_scale_mm}")
    if np.issubdtype(depth.dtype, np.integer) or depth.dtype == np.bool_:
        if depth.dtype == np.bool_:
            raise ValueError("a depth image holds distances, not a boolean mask")
        return depth.astype(np.float32) * np.float32(depth_scale_mm or 1.0)
    if not np.issubdtype(depth.dtype, np.floating):
        raise ValueError(f"a depth image holds numbers, got dtype {depth.dtype}")
    if depth_scale_mm is not None:
        return depth.astype(np.float32) * np.float32(depth_scale_mm)
    largest = float(np.max(depth)) if depth.size else 0.0
    if 0.0 < largest < _METRES_LIMIT:
        raise ValueError(f"the depth values look like metres (the largest is {largest:.3g}); pass millimetres "
                         f"(depth × 1000) or depth_scale_mm=1000")
    return depth if depth.dtype == np.float32 else depth.astype(np.float32)
