"""The network stage: JGR-P2O on the crop and (on a GPU, by default) on its mirror image as well.

A mirrored crop shows the other hand in mirrored pose, which the network has learnt as well as
the first (it trains on both hands); its answer, mirrored back, is a second opinion on the same
hand with errors of its own. Their mean is nearer the truth than either alone: on the synthetic
test set's crops (500) the plain answer is 18.17 mm off, the mirrored one 18.29, their mean 17.32,
and 17.31 with the agreement gate below; one more crop in the same inference call.
Two answers far apart are two readings of the hand, and their mean is neither (on NYU's frame 1
it was 45 mm off where the plain answer is 21): beyond AGREE_MM the plain answer stands. On the
synthetic crops the mean helps up to ~30 mm apart (25-30 mm: 35.2 → 32.2) and no further.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from handpose_live.pipeline.onnx_model import OnnxModel

MIRRORED = ("auto", "on", "off")  # EstimatorOptions.mirrored: "auto" is on with a GPU provider only

# Mirroring the crop's columns maps normalised u to −u: the crop grid is symmetric about its centre.
_MIRROR_U = np.array([-1.0, 1.0, 1.0], np.float32)
# Mean joint distance (mm) up to which the two answers are averaged; in the crop's normalised units a
# cube half-side (125 mm for the shipped 250 mm cube) is 1, across the image and in depth alike.
AGREE_MM = 30.0


def predict_joints(model: OnnxModel, crop: np.ndarray, cube_mm: float, mirrored: bool = True) -> np.ndarray:
    """Normalised (21, 3) joints of one (S, S) crop; with `mirrored`, averaged with the mirror image's
    when the two agree within AGREE_MM."""
    if not mirrored:
        return model.predict(crop[None])[0]
    both = model.predict(np.stack([crop, crop[:, ::-1]]))
    plain, other = both[0], both[1] * _MIRROR_U
    apart_mm = float(np.linalg.norm(plain - other, axis=1).mean()) * 0.5 * cube_mm
    return 0.5 * (plain + other) if apart_mm <= AGREE_MM else plain
