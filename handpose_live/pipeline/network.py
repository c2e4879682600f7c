"""The network stage: JGR-P2O on the crop and, by default, on its mirror image as well.

A mirrored crop shows the other hand in mirrored pose, which the network has learnt as well as
the first (it trains on both hands); its answer, mirrored back, is a second opinion on the same
hand with errors of its own. Their mean is 0.85 mm nearer the truth than either alone on the
synthetic test set (18.17 → 17.32 mm, 500 crops), for one more crop in the same inference call.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from handpose_live.pipeline.onnx_model import OnnxModel

MIRRORED = ("auto", "on", "off")  # EstimatorOptions.mirrored: "auto" is on with a GPU provider only

# Mirroring the crop's columns maps normalised u to −u: the crop grid is symmetric about its centre.
_MIRROR_U = np.array([-1.0, 1.0, 1.0], np.float32)


def predict_joints(model: OnnxModel, crop: np.ndarray, mirrored: bool = True) -> np.ndarray:
    """Normalised (21, 3) joints of one (S, S) crop; with `mirrored`, averaged with the mirror image's."""
    if not mirrored:
        return model.predict(crop[None])[0]
    both = model.predict(np.stack([crop, crop[:, ::-1]]))
    return 0.5 * (both[0] + both[1] * _MIRROR_U)
