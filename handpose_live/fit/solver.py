"""One compiled Levenberg–Marquardt solve of the fit: 1 rigid + N full iterations with fixed
per-DOF damping (htrack: rotation damped far more than translation, no adaptive λ). Each energy
module adds its rows to one 28×28 system; this module only sums, damps and solves."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.collision import PAIRS, add_collision
from handpose_live.fit.data import add_data, data_distances
from handpose_live.fit.jit import njit
from handpose_live.fit.keypoints import add_keypoints
from handpose_live.fit.limits import HI, LO, add_dip_coupling, project_limits
from handpose_live.fit.model import FINGER_CONES, build_cones
from handpose_live.fit.silhouette import add_silhouette
from handpose_live.hand.jacobians import JOINT_SEGMENT, HandState
from handpose_live.hand.kinematics_jit import matmul3, posed_kinematics, shape_arrays
from handpose_live.hand.shape import HandShape
from handpose_live.joints import NUM_JOINTS

RIGID_LOCK = 1e12  # damping that freezes the joint angles in the rigid iteration
NO_DISTANCE = np.zeros((1, 1))  # no silhouette: a distance image of one pixel turns the term off
NO_WINDOW = np.array([0.0, 0.0, 1.0, 1.0, 1.0])  # with NO_DISTANCE
NO_PREVIOUS = np.full((NUM_JOINTS, 3), np.nan)
NO_POINTS = np.zeros((0, 3))


def damping(translation: float, rotation: float, flexion: float, abduction: float, distal: float) -> np.ndarray:
    """The fixed LM damping per DOF (added to JᵀJ, in mm² per unit step); the wrist carries no joint."""
    d = np.full(28, flexion)
    d[0:3], d[3:6], d[6:8] = translation, rotation, RIGID_LOCK
    for f in range(5):
        d[8 + 4 * f + 1] = abduction
        d[8 + 4 * f + 3] = distal
    return d


def problem(shape: HandShape, palm: np.ndarray, points: np.ndarray, targets: np.ndarray, target_weights: np.ndarray,
            distance: np.ndarray, origin: np.ndarray, camera: np.ndarray, weights, damping_per_dof: np.ndarray,
            previous: np.ndarray | None = None) -> tuple:
    """What `lm_fit` takes besides the start state and the iteration counts, in its order: the
    shape's arrays, the cones, the observed points and silhouette, the targets and the weights.
    `palm` is `model.palm_cones(shape)`."""
    bl, bp, frames, sign, chains, left = shape_arrays(shape)
    return (bl, bp, frames, sign, chains, left, np.asarray(shape.joint_radii, np.float64), palm, FINGER_CONES,
            JOINT_SEGMENT, points, targets, target_weights, NO_PREVIOUS if previous is None else previous, distance,
            origin, camera, LO, HI, damping_per_dof, np.asarray(weights, np.float64))


def state_arrays(start: HandState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotation, translation and angles of a state as fresh float64 arrays, as `lm_fit` takes them."""
    return (np.ascontiguousarray(start.rotation, np.float64), np.asarray(start.translation, np.float64).copy(),
            np.asarray(start.angles, np.float64).copy())


def solve(fit_problem: tuple, start: HandState, rigid_iterations: int,
          full_iterations: int) -> tuple[HandState, np.ndarray, np.ndarray, float]:
    """`lm_fit` of a `problem` from a start state: the fitted state, its joints, each point's
    |distance| (mm) and the silhouette's mean distance (px)."""
    r, t, a, joints, dist, sil = lm_fit(*state_arrays(start), *fit_problem, rigid_iterations, full_iterations)
    return HandState(r, t, a), joints, dist, sil


@njit
def cholesky_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with a·x = b for a symmetric positive definite a (numba's linalg needs SciPy's LAPACK)."""
    n = a.shape[0]
    low = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            s = a[i, j]
            for k in range(j):
                s -= low[i, k] * low[j, k]
            if i == j:
                low[i, i] = np.sqrt(max(s, 1e-12))
            else:
                low[i, j] = s / low[j, j]
    y = np.zeros(n)
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= low[i, k] * y[k]
        y[i] = s / low[i, i]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        s = y[i]
        for k in range(i + 1, n):
            s -= low[k, i] * x[k]
        x[i] = s / low[i, i]
    return x


@njit
def rodrigues(w: np.ndarray) -> np.ndarray:
    """exp([w]×)."""
    angle = np.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2])
    out = np.eye(3)
    if angle < 1e-12:
        return out
    k = w / angle
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    kk = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            kk[i, j] = kx[i, 0] * kx[0, j] + kx[i, 1] * kx[1, j] + kx[i, 2] * kx[2, j]
    return out + np.sin(angle) * kx + (1.0 - np.cos(angle)) * kk


@njit
def lm_fit(rotation, translation, angles, shape_arrays_bl, shape_arrays_bp, base_frames, abduction_sign, chains,
           left, radii, palm_hand, finger_cones, joint_segments, points, targets, target_weights, previous, dt, origin,
           camera, limits_lo, limits_hi, damping, weights, rigid_iterations, full_iterations):
    """Fit the hand to `points` from (rotation, translation, angles): `rigid_iterations` moving the
    whole hand only, then `full_iterations`; returns the fitted state, its joints, each point's
    final |distance| (mm) and the silhouette's mean distance (px).

    weights: data, keypoints (toward `targets`), silhouette, DIP coupling, collision, temporal (toward
    `previous`, the last frame's fitted joints; NaN rows are skipped).
    """
    rotation, translation, angles = rotation.copy(), translation.copy(), angles.copy()
    distances = np.zeros(points.shape[0])
    nearest = np.full(points.shape[0], -1, np.int64)
    mirror = np.eye(3)
    if left:
        mirror[0, 0] = -1.0
    sil_px = 0.0
    for it in range(rigid_iterations + full_iterations):
        joints, axes, pivots = posed_kinematics(shape_arrays_bl, shape_arrays_bp, base_frames, abduction_sign,
                                                chains, left, rotation, translation, angles)
        to_camera = matmul3(rotation, mirror)
        cones, segments = build_cones(joints, radii, palm_hand, to_camera, translation, finger_cones)
        h = np.zeros((28, 28))
        g = np.zeros(28)
        if points.shape[0] > 0 and weights[0] > 0:
            add_data(h, g, points, cones, segments, axes, pivots, translation, weights[0], distances, nearest,
                     it >= rigid_iterations)
        if weights[1] > 0:
            add_keypoints(h, g, joints, targets, target_weights, joint_segments, axes, pivots, translation, weights[1])
        if weights[2] > 0 and dt.shape[0] > 1:
            _, sil_px = add_silhouette(h, g, cones, segments, cones.shape[0], dt, origin, camera, axes, pivots, translation,
                                       weights[2])
        if weights[3] > 0:
            add_dip_coupling(h, g, angles, weights[3])
        if weights[4] > 0 and it >= rigid_iterations:
            add_collision(h, g, cones, segments, PAIRS, axes, pivots, translation, weights[4])
        if weights[5] > 0:
            add_keypoints(h, g, joints, previous, np.ones(joints.shape[0]), joint_segments, axes, pivots,
                          translation, weights[5])
        for d in range(28):
            h[d, d] += damping[d] if (it >= rigid_iterations or d < 6) else RIGID_LOCK
        step = cholesky_solve(h, g)
        rot = step[3:6]
        norm = np.sqrt(rot[0] * rot[0] + rot[1] * rot[1] + rot[2] * rot[2])
        if norm > 0.3:  # beyond ~17° the linearisation no longer holds
            rot *= 0.3 / norm
        rotation = matmul3(rodrigues(rot), rotation)
        translation += step[0:3]
        angles += step[6:28]
        project_limits(angles, limits_lo, limits_hi)
    joints, axes, pivots = posed_kinematics(shape_arrays_bl, shape_arrays_bp, base_frames, abduction_sign, chains,
                                            left, rotation, translation, angles)
    # The final distances and silhouette error, of the final state.
    cones, segments = build_cones(joints, radii, palm_hand, matmul3(rotation, mirror), translation, finger_cones)
    h = np.zeros((28, 28))
    g = np.zeros(28)
    if points.shape[0] > 0:
        data_distances(points, cones, distances)
    if dt.shape[0] > 1:
        _, sil_px = add_silhouette(h, g, cones, segments, cones.shape[0], dt, origin, camera, axes, pivots, translation, 1.0)
    return rotation, translation, angles, joints, distances, sil_px
