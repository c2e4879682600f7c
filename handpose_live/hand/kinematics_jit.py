"""Compiled (numba) forward kinematics of the posed hand with Jacobians: the arithmetic of
`jacobians.py` written as loops, so that the fit runs in one compiled call (numpy's per-call
overhead would cost as much as the maths). `jacobians.py` is the numpy twin the tests compare."""
from __future__ import annotations

import numpy as np

from handpose_live.hand.jacobians import JOINT_SEGMENT, HandState
from handpose_live.hand.shape import ABDUCTION_SIGN, BASE_FRAMES, HandShape
from handpose_live.joints import FINGER_JOINTS

try:  # numba is a dependency, but the numpy path keeps the hand usable without it.
    import numba

    njit = numba.njit(cache=True, nogil=True)
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None

    def njit(f):
        return f


CHAINS = np.array(FINGER_JOINTS, np.int64)  # (5, 4): base, then the far end of each bone


@njit
def _rot_x(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((3, 3))
    out[0, 0] = 1.0
    out[1, 1], out[1, 2], out[2, 1], out[2, 2] = c, -s, s, c
    return out


@njit
def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = np.zeros((3, 3))
    out[0, 0], out[0, 1], out[1, 0], out[1, 1] = c, -s, s, c
    out[2, 2] = 1.0
    return out


@njit
def matmul3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """3×3 · 3×3 (numba's @ needs SciPy's BLAS, and loops are faster at this size anyway)."""
    out = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            out[i, j] = a[i, 0] * b[0, j] + a[i, 1] * b[1, j] + a[i, 2] * b[2, j]
    return out


@njit
def _apply(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """3×3 · 3-vector."""
    out = np.empty(3)
    for i in range(3):
        out[i] = m[i, 0] * v[0] + m[i, 1] * v[1] + m[i, 2] * v[2]
    return out


@njit
def cross3(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty(3)
    out[0] = a[1] * b[2] - a[2] * b[1]
    out[1] = a[2] * b[0] - a[0] * b[2]
    out[2] = a[0] * b[1] - a[1] * b[0]
    return out


@njit
def posed_kinematics(bone_lengths, base_positions, base_frames, abduction_sign, chains, left, rotation,
                     translation, angles):
    """Camera-frame joints (21, 3), DOF axes (28, 3) and pivots (28, 3) of a posed hand."""
    mirror = np.eye(3)
    if left:
        mirror[0, 0] = -1.0
    to_camera = matmul3(rotation, mirror)
    sense = -1.0 if left else 1.0
    joints = np.zeros((21, 3))
    axes = np.zeros((28, 3))
    pivots = np.zeros((28, 3))
    joints[0] = translation
    for f in range(5):
        a = angles[2 + 4 * f: 6 + 4 * f]  # base flexion, abduction, middle, distal
        s = abduction_sign[f]
        frame = np.ascontiguousarray(base_frames[f])
        after_abduction = matmul3(frame, _rot_z(-s * a[1]))
        base = _apply(to_camera, base_positions[f]) + translation
        joints[chains[f, 0]] = base
        d = 8 + 4 * f
        axes[d + 1] = sense * _apply(to_camera, frame[:, 2] * -s)
        pivots[d + 1] = base
        axes[d] = sense * _apply(to_camera, np.ascontiguousarray(after_abduction[:, 0]))
        pivots[d] = base
        rot = matmul3(after_abduction, _rot_x(a[0]))
        p = base.copy()
        for k in range(3):
            if k > 0:
                dof = d + 1 + k  # the middle (k = 1) and distal (k = 2) hinges
                axes[dof] = sense * _apply(to_camera, np.ascontiguousarray(rot[:, 0]))
                pivots[dof] = p
                rot = matmul3(rot, _rot_x(a[1 + k]))
            p = p + _apply(to_camera, np.ascontiguousarray(rot[:, 1])) * bone_lengths[f, k]
            joints[chains[f, k + 1]] = p
    return joints, axes, pivots


@njit
def points_jacobian(points, segments, axes, pivots, translation):
    """d point / d DOF (N, 3, 28) of camera-frame points riding on `segments` (see jacobians.py)."""
    n = points.shape[0]
    jac = np.zeros((n, 3, 28))
    for i in range(n):
        p = points[i]
        for c in range(3):
            jac[i, c, c] = 1.0
        rel = p - translation
        # e_x × rel, e_y × rel, e_z × rel
        jac[i, 1, 3], jac[i, 2, 3] = -rel[2], rel[1]
        jac[i, 0, 4], jac[i, 2, 4] = rel[2], -rel[0]
        jac[i, 0, 5], jac[i, 1, 5] = -rel[1], rel[0]
        seg = segments[i]
        if seg == 0:
            continue
        f = (seg - 1) // 3
        k = (seg - 1) % 3
        d = 8 + 4 * f
        for dof in (d, d + 1, d + 2, d + 3):
            if (dof == d + 2 and k < 1) or (dof == d + 3 and k < 2):
                continue
            col = cross3(axes[dof], p - pivots[dof])
            jac[i, 0, dof], jac[i, 1, dof], jac[i, 2, dof] = col[0], col[1], col[2]
    return jac


def shape_arrays(shape: HandShape) -> tuple:
    """The arrays `posed_kinematics` takes for a shape (everything but the state)."""
    return (np.ascontiguousarray(shape.bone_lengths, np.float64), np.ascontiguousarray(shape.base_positions, np.float64),
            BASE_FRAMES, ABDUCTION_SIGN.astype(np.float64), CHAINS, bool(shape.left))


def joints_and_jacobian_jit(shape: HandShape, state: HandState) -> tuple[np.ndarray, np.ndarray]:
    """The compiled twin of `jacobians.joints_and_jacobian`: joints (21, 3) and Jacobian (21, 3, 28)."""
    joints, axes, pivots = posed_kinematics(*shape_arrays(shape), np.ascontiguousarray(state.rotation, np.float64),
                                            np.asarray(state.translation, np.float64),
                                            np.asarray(state.angles, np.float64))
    return joints, points_jacobian(joints, JOINT_SEGMENT, axes, pivots, np.asarray(state.translation, np.float64))
