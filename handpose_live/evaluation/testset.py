"""The fixed synthetic validation and test sets (reserved seeds) and labelled crops scored in millimetres."""
from __future__ import annotations

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.pipeline.crop import CropBox, crop_to_joints
from handpose_live.synthetic.generator import SynthSettings, generate_samples

# Seeds of the fixed synthetic evaluation sets; training refuses them, so they are never trained on.
VALIDATION_SEED = 1_000_001
TEST_SEED = 1_000_003
RESERVED_SEEDS = (VALIDATION_SEED, TEST_SEED)


class EvalSet:
    """A fixed, labelled set of crops with what is needed to score them in millimetres."""

    def __init__(self, data: dict[str, np.ndarray]):
        self.depth = data["depth"].astype(np.float32)
        self.uvd = data["uvd"].astype(np.float32)
        self.joints_mm = data["joints_mm"].astype(np.float64)
        self.center_mm = data["center_mm"].astype(np.float64)
        self.cube_mm = data["cube_mm"].astype(np.float64)
        self.intrinsics = data["intrinsics"].astype(np.float64)

    @classmethod
    def from_frames(cls, data: dict[str, np.ndarray]) -> "EvalSet":
        """From `datasets.crop_frames` arrays: joints a dataset does not label become NaN (not scored)."""
        data = dict(data)
        data["joints_mm"] = np.where(data["mask"][..., None], data["joints_mm"], np.nan)
        return cls(data)

    @classmethod
    def synthetic(cls, seed: int, count: int, settings: SynthSettings = SynthSettings()) -> "EvalSet":
        """`count` samples of a reserved seed, rendered the same way every time."""
        return cls(generate_samples(seed, 0, count, settings))

    def __len__(self) -> int:
        return len(self.depth)

    def to_mm(self, uvd: np.ndarray) -> np.ndarray:
        """Predicted normalised joints (N, J, 3) → camera-frame millimetres."""
        out = np.empty(uvd.shape, np.float64)
        for k in range(len(uvd)):
            fx, fy, cx, cy, w, h = self.intrinsics[k]
            box = CropBox(tuple(self.center_mm[k]), float(self.cube_mm[k]), self.depth.shape[-1],
                          Intrinsics(fx, fy, cx, cy, int(w), int(h)))
            out[k] = crop_to_joints(uvd[k], box)
        return out
