"""Core data types passed between sources, the pipeline and the UI."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics

__all__ = ["Intrinsics", "DepthFrame"]


@dataclass(frozen=True)
class DepthFrame:
    """One depth image in millimetres (float32, 0 = no data) with its camera and timing."""

    depth_mm: np.ndarray
    intrinsics: Intrinsics
    timestamp_s: float
    frame_number: int

    def __post_init__(self) -> None:
        h, w = self.depth_mm.shape
        if (w, h) != (self.intrinsics.width, self.intrinsics.height):
            raise ValueError(
                f"depth image is {w}x{h} but the intrinsics describe "
                f"{self.intrinsics.width}x{self.intrinsics.height}"
            )
