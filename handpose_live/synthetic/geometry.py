"""Hand surface geometry from a 21-joint skeleton: round cones for the fingers, palm and
forearm, an ellipsoid filling the palm (SPEC §5). Each fingertip joint is where the finger's
surface ends, as datasets label it (tip_sphere_centre).

It works on any skeleton in canonical order (from our kinematics, a dataset's labels or a
recording); radii default to the average hand's, scaled by the skeleton's palm length.
"""
from __future__ import annotations

import numpy as np

from handpose_live.hand.primitives import palm_cones, palm_frame
from handpose_live.hand.shape import BASE_POSITIONS_MM, JOINT_RADII_MM, PALM_THICKNESS_MM, tip_sphere_centre
from handpose_live.joints import FINGER_JOINTS, Joint
from handpose_live.synthetic.raycast import LABEL_FOREARM, LABEL_HAND, Primitives

_AVERAGE_PALM_LENGTH = float(np.linalg.norm(BASE_POSITIONS_MM[2]))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def hand_scale(joints_mm: np.ndarray) -> float:
    """Size of a skeleton relative to the average hand, from its palm length."""
    j = np.asarray(joints_mm, dtype=np.float64)
    return float(np.linalg.norm(j[Joint.MIDDLE_MCP] - j[Joint.WRIST])) / _AVERAGE_PALM_LENGTH


def hand_primitives(
    joints_mm: np.ndarray,
    radii_mm: np.ndarray | None = None,
    palm_thickness_mm: float | None = None,
    forearm_direction: np.ndarray | None = None,
    forearm_length_mm: float = 180.0,
    sleeve: float = 1.0,
) -> Primitives:
    """Round cones and ellipsoids of a hand (label HAND) and its forearm (label FOREARM).

    Args:
        joints_mm: (21, 3) joints in canonical order, any frame, millimetres.
        radii_mm: (21,) radius at each joint; default: the average hand scaled to this one.
        palm_thickness_mm: default: the average hand's, scaled.
        forearm_direction: unit vector from the wrist to the elbow; default: straight back
            along the palm. A zero forearm length leaves the forearm out.
        forearm_length_mm: wrist-to-end length of the forearm.
        sleeve: width of the forearm's far end relative to a bare arm's (a sleeve: more than 1).
    """
    j = np.asarray(joints_mm, dtype=np.float64)
    scale = hand_scale(j)
    r = JOINT_RADII_MM * scale if radii_mm is None else np.asarray(radii_mm, dtype=np.float64)
    thick = PALM_THICKNESS_MM * scale if palm_thickness_mm is None else palm_thickness_mm
    frame = palm_frame(j)
    x, y = frame[:, 0], frame[:, 1]
    wrist = j[Joint.WRIST]
    palm_len = float(np.linalg.norm(j[Joint.MIDDLE_MCP] - wrist))
    span = float(np.linalg.norm(j[Joint.INDEX_MCP] - j[Joint.PINKY_MCP]))

    prims = Primitives()
    cones = []
    for chain in FINGER_JOINTS:
        for a, b in zip(chain[:-1], chain[1:]):
            cones.append([*j[a], r[a], *(tip_sphere_centre(j[a], j[b], r[b]) if b == chain[-1] else j[b]), r[b]])
    # Palm: the cones the fit's hand model has too (hand/primitives.py), and an ellipsoid filling them.
    cones.extend(palm_cones(j, r, thick))
    prims.add_cones(np.array(cones), LABEL_HAND)
    mcps = j[[Joint.INDEX_MCP, Joint.MIDDLE_MCP, Joint.RING_MCP, Joint.PINKY_MCP]]
    centre = 0.5 * (wrist + mcps.mean(axis=0))
    prims.add_ellipsoid(centre, np.array([0.5 * span + 5.0 * scale, 0.5 * palm_len, 0.5 * thick]), frame, LABEL_HAND)

    if forearm_length_mm > 0:
        f = -y if forearm_direction is None else _unit(np.asarray(forearm_direction, dtype=np.float64))
        xf = _unit(x - (x @ f) * f)
        start = wrist + 0.06 * palm_len * y
        end = wrist + forearm_length_mm * f
        fore = []
        # Two side-by-side cones give the forearm its flat, oval cross-section.
        for side in (-1.0, 1.0):
            a = start + side * 0.2 * span * xf
            b = end + side * 0.28 * sleeve * span * xf
            fore.append([*a, 0.52 * thick, *b, 0.72 * sleeve * thick])
        prims.add_cones(np.array(fore), LABEL_FOREARM)
    return prims
