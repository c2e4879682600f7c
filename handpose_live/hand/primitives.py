"""The palm's round cones, shared by the renderer (synthetic/geometry.py) and the fit's hand model
(fit/model.py), so that the hand the network learns from and the hand the fit places are one.

A cone is a row (x0, y0, z0, r0, x1, y1, z1, r1) in the frame of the joints given. The palm is
one cone per metacarpal from near the wrist to its knuckle, the thenar eminence out to the thumb's
CMC, and on each side a pad of soft tissue beyond the outer metacarpals: along the index (radial)
and along the little finger, where the hypothenar eminence runs from the knuckle down to the
wrist. The pads are what makes a real palm broader than its knuckles' centres: measured across
the knuckles on SR305 and FPHA frames, real palms are 82 mm wide; cones on the metacarpals alone
made 71 mm (`evaluation/realism.py`, palm width row).
"""
from __future__ import annotations

import numpy as np

from handpose_live.joints import FINGER_JOINTS, Joint

# How far a side pad's axis sits beyond the outer knuckle, in that knuckle's radii: each side adds
# about this much of a radius to the width across the knuckles.
PAD_OFFSET = 0.7
# The hypothenar pad bulges towards the palm's palmar side (fraction of the palm's thickness).
PAD_PALMAR = 0.12


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def palm_frame(joints_mm: np.ndarray) -> np.ndarray:
    """Orthonormal palm axes as columns: across the knuckles (towards the index), along the palm, normal."""
    j = np.asarray(joints_mm, dtype=np.float64)
    y = _unit(j[Joint.MIDDLE_MCP] - j[Joint.WRIST])
    across = j[Joint.INDEX_MCP] - j[Joint.PINKY_MCP]
    x = _unit(across - (across @ y) * y)
    return np.stack([x, y, np.cross(x, y)], axis=1)


def metacarpal_bases(joints_mm: np.ndarray) -> np.ndarray:
    """(4, 3) the points near the wrist where the index … little metacarpal cones start."""
    j = np.asarray(joints_mm, dtype=np.float64)
    frame = palm_frame(j)
    x, y = frame[:, 0], frame[:, 1]
    wrist = j[Joint.WRIST]
    palm_len = float(np.linalg.norm(j[Joint.MIDDLE_MCP] - wrist))
    return np.array([wrist + 0.55 * ((j[c[0]] - wrist) @ x) * x + 0.12 * palm_len * y for c in FINGER_JOINTS[1:]])


def palm_cones(joints_mm: np.ndarray, radii_mm: np.ndarray, thickness_mm: float) -> np.ndarray:
    """(7, 8) the palm's cones for these joints: four metacarpals, the thenar eminence, the radial
    and the hypothenar (ulnar) pads. A left hand's joints give its mirror image."""
    j = np.asarray(joints_mm, dtype=np.float64)
    r = np.asarray(radii_mm, dtype=np.float64)
    frame = palm_frame(j)
    x, y, z = frame.T
    wrist = j[Joint.WRIST]
    # z (across × along) is palmar for a right hand and dorsal for a left one; the thumb's CMC sits
    # on the palmar side in either.
    palmar = z if (j[Joint.THUMB_CMC] - wrist) @ z >= 0 else -z
    palm_len = float(np.linalg.norm(j[Joint.MIDDLE_MCP] - wrist))
    bases = metacarpal_bases(j)
    cones = [[*base, 0.42 * thickness_mm, *j[c[0]], 1.02 * r[c[0]]] for base, c in zip(bases, FINGER_JOINTS[1:])]
    cones.append([*(wrist + 0.15 * palm_len * y), 0.45 * thickness_mm, *j[Joint.THUMB_CMC], r[Joint.THUMB_CMC]])
    index, little = j[Joint.INDEX_MCP], j[Joint.PINKY_MCP]
    ri, rl = r[Joint.INDEX_MCP], r[Joint.PINKY_MCP]
    # Radial pad: beside the index metacarpal, from its middle to its knuckle.
    radial_base = 0.5 * (bases[0] + index)
    cones.append([*(radial_base + PAD_OFFSET * ri * x), 0.8 * ri, *(index + PAD_OFFSET * ri * x), ri])
    # Hypothenar pad: beside the little metacarpal, from the wrist's ulnar side to the knuckle.
    ulnar_base = wrist + 0.8 * ((little - wrist) @ x) * x + 0.35 * palm_len * y + PAD_PALMAR * thickness_mm * palmar
    cones.append([*ulnar_base, 0.45 * thickness_mm, *(little - PAD_OFFSET * rl * x), rl])
    return np.array(cones, np.float64)
