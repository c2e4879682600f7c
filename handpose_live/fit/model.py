"""The fitter's hand: round cones along the 15 finger bones, and rigid round cones for the palm
(the renderer's palm ellipsoid has no closed-form closest point; 2–3 cones fill it, SPEC §8).

A cone is a(3), ra, b(3), rb in the camera frame; its segment (hand/jacobians.py) says which DOF
move the points on it: 0 the palm, 1 + 3·f + k the k-th bone of finger f.
"""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import njit
from handpose_live.hand.kinematics import forward_kinematics
from handpose_live.hand.pose import HandPose
from handpose_live.hand.primitives import metacarpal_bases
from handpose_live.hand.primitives import palm_cones as shared_palm_cones
from handpose_live.hand.shape import HandShape
from handpose_live.joints import FINGER_JOINTS, Joint

# Finger cones: (joint a, joint b, segment), thumb first.
FINGER_CONES = np.array([(chain[k], chain[k + 1], 1 + 3 * f + k) for f, chain in enumerate(FINGER_JOINTS)
                         for k in range(3)], np.int64)


def palm_cones(shape: HandShape) -> np.ndarray:
    """The palm's rigid cones (P, 8) in the hand frame (mirrored for a left hand): the renderer's
    (hand/primitives.py), and one across the palm's middle where the renderer has its ellipsoid."""
    j = forward_kinematics(shape, HandPose(np.zeros((5, 4)), np.zeros(2)))
    thick = shape.palm_thickness
    bases = metacarpal_bases(j)
    middle = [0.5 * (bases[0] + j[Joint.INDEX_MCP]), 0.5 * (bases[3] + j[Joint.PINKY_MCP])]
    across = [*middle[0], 0.5 * thick, *middle[1], 0.5 * thick]
    return np.vstack([shared_palm_cones(j, shape.joint_radii, thick), across])


@njit
def build_cones(joints: np.ndarray, radii: np.ndarray, palm_hand: np.ndarray, to_camera: np.ndarray,
                translation: np.ndarray, finger_cones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All cones (15 + P, 8) in the camera frame and their segments, for the posed joints."""
    n_f, n_p = finger_cones.shape[0], palm_hand.shape[0]
    cones = np.empty((n_f + n_p, 8))
    segments = np.zeros(n_f + n_p, np.int64)
    for i in range(n_f):
        a, b = finger_cones[i, 0], finger_cones[i, 1]
        cones[i, 0:3] = joints[a]
        cones[i, 3] = radii[a]
        cones[i, 4:7] = joints[b]
        cones[i, 7] = radii[b]
        segments[i] = finger_cones[i, 2]
        if (segments[i] - 1) % 3 == 2:
            # The distal bone's sphere sits one radius inside the tip joint, as the renderer draws
            # it (hand/shape.tip_sphere_centre): the tip joint is the finger's end.
            d = joints[b] - joints[a]
            n = max(np.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]), 1e-9)
            cones[i, 4:7] = joints[b] - radii[b] / n * d
    for i in range(n_p):
        for e in range(2):
            p = palm_hand[i, 4 * e: 4 * e + 3]
            for c in range(3):
                cones[n_f + i, 4 * e + c] = (to_camera[c, 0] * p[0] + to_camera[c, 1] * p[1]
                                             + to_camera[c, 2] * p[2] + translation[c])
            cones[n_f + i, 4 * e + 3] = palm_hand[i, 4 * e + 3]
    return cones, segments


@njit
def closest_on_cone(p0: float, p1: float, p2: float, cone: np.ndarray) -> tuple:
    """Closest surface point of a round cone to p (hmodel's projection onto a convex segment), as
    scalars: the axis point s the touching sphere sits on, its radius r, and the unit direction n
    from s towards p (the outward normal); the surface point is s + r·n. Scalars, not arrays:
    this runs for every point and cone of every iteration."""
    c10, c11, c12, r1 = cone[0], cone[1], cone[2], cone[3]
    x0, x1, x2 = cone[4] - c10, cone[5] - c11, cone[6] - c12
    r2 = cone[7]
    l2 = x0 * x0 + x1 * x1 + x2 * x2
    dr = r1 - r2
    if l2 < 1e-12 or dr * dr >= l2:  # degenerate: the larger end sphere
        u = 0.0 if r1 >= r2 else 1.0
    else:
        alpha = ((p0 - c10) * x0 + (p1 - c11) * x1 + (p2 - c12) * x2) / l2
        t0, t1, t2 = p0 - (c10 + alpha * x0), p1 - (c11 + alpha * x1), p2 - (c12 + alpha * x2)
        beta = np.sqrt(t0 * t0 + t1 * t1 + t2 * t2) * dr / np.sqrt(l2 - dr * dr)
        u = min(max(alpha - beta / np.sqrt(l2), 0.0), 1.0)  # along the axis, where p's sphere touches
    s0, s1, s2 = c10 + u * x0, c11 + u * x1, c12 + u * x2
    r = r1 - dr * u
    v0, v1, v2 = p0 - s0, p1 - s1, p2 - s2
    nv = np.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
    if nv < 1e-9:
        return s0, s1, s2, r, 0.0, 0.0, -1.0, nv  # p on the axis: face the camera
    return s0, s1, s2, r, v0 / nv, v1 / nv, v2 / nv, nv
