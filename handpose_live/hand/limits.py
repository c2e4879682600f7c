"""Anatomical joint limits of the hand (SPEC §5), in degrees, in the layout of `HandPose.fingers`."""
from __future__ import annotations

import numpy as np

# Lower and upper limits (deg). Thumb: CMC flexion, CMC abduction, MCP, IP.
# Fingers: MCP flexion, MCP abduction, PIP, DIP.
LIMITS_LO = np.array(
    [[-20.0, -10.0, -10.0, -15.0], [-20.0, -15.0, 0.0, 0.0], [-20.0, -15.0, 0.0, 0.0],
     [-20.0, -15.0, 0.0, 0.0], [-20.0, -20.0, 0.0, 0.0]]
)
LIMITS_HI = np.array(
    [[45.0, 50.0, 60.0, 80.0], [90.0, 15.0, 110.0, 90.0], [90.0, 15.0, 110.0, 90.0],
     [90.0, 15.0, 110.0, 90.0], [90.0, 20.0, 110.0, 90.0]]
)
WRIST_LIMITS = np.array([30.0, 20.0])  # ± flexion, ± deviation

ABDUCTION_SHRINK = 0.6  # the fingers' abduction range shrinks by this fraction at 90° of MCP flexion


def clip_to_limits(angles: np.ndarray) -> np.ndarray:
    """Clip finger angles to the limits; abduction range shrinks as the MCP flexes (to 40 % at 90°)."""
    a = np.clip(angles, LIMITS_LO, LIMITS_HI)
    shrink = 1.0 - ABDUCTION_SHRINK * np.clip(a[1:, 0], 0.0, 90.0) / 90.0
    a[1:, 1] = np.clip(a[1:, 1], LIMITS_LO[1:, 1] * shrink, LIMITS_HI[1:, 1] * shrink)
    return a
