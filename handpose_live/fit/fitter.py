"""The fit stage: start from inverse kinematics of the network's joints (and from the previous
frame's fit when tracking), fit each hypothesis to the observed points with one compiled LM
solve, keep the better-scoring one, and say how well it explains the data."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.keypoints import NETWORK_WEIGHTS
from handpose_live.fit.limits import HI, LO
from handpose_live.fit.model import FINGER_CONES, palm_cones
from handpose_live.fit.points import hand_points
from handpose_live.fit.solver import RIGID_LOCK, lm_fit
from handpose_live.hand.ik import rigid_start
from handpose_live.hand.jacobians import JOINT_SEGMENT, HandState
from handpose_live.hand.kinematics_jit import shape_arrays
from handpose_live.hand.shape import HandShape
from handpose_live.joints import NUM_JOINTS

_NO_DT = np.zeros((1, 1))
_NO_WINDOW = np.array([0.0, 0.0, 1.0])
_NO_PREVIOUS = np.full((NUM_JOINTS, 3), np.nan)


def _damping(translation: float, rotation: float, flexion: float, abduction: float, distal: float) -> np.ndarray:
    d = np.full(28, flexion)
    d[0:3], d[3:6], d[6:8] = translation, rotation, RIGID_LOCK  # the wrist carries no joint
    for f in range(5):
        d[8 + 4 * f + 1] = abduction
        d[8 + 4 * f + 3] = distal
    return d


@dataclass(frozen=True)
class FitSettings:
    """Weights and budget of the fit (SPEC §8); the weights are per term, named after it."""

    max_points: int = 256
    rigid_iterations: int = 1  # the whole hand moved first, its joint angles held
    iterations: int = 6  # full LM iterations after the rigid ones
    ik_iterations: int = 8
    data: float = 1.0
    keypoints: float = 1.0  # × the per-joint weights of keypoints.NETWORK_WEIGHTS
    silhouette: float = 0.5
    dip_coupling: float = 2e4
    collision: float = 0.2
    temporal: float = 0.05  # toward the previous frame's fitted joints, while tracking (live)
    damping: tuple[float, float, float, float, float] = (1.0, 1e3, 200.0, 2e3, 500.0)  # t, R, flex, abd, distal
    min_points: int = 30  # fewer hand points: nothing to fit, confidence 0
    handedness_margin: float = 1.5  # fit both hands unless one's IK residual is this many times the other's


@dataclass(frozen=True)
class FitResult:
    """The fitted hand and how well it explains the observed depth."""

    joints_mm: np.ndarray  # (21, 3)
    state: HandState
    shape: HandShape
    fit_error_mm: float  # median data → model distance
    silhouette_error_px: float  # mean distance of the model's axis samples outside the hand mask
    confidence: float  # 0-1
    points: int  # hand points used


def confidence(fit_error_mm: float, silhouette_px: float) -> float:
    """0-1 from the two label-free errors: 1 for a perfect fit, 0.5 at 6 mm or at 3 px."""
    if not (np.isfinite(fit_error_mm) and np.isfinite(silhouette_px)):
        return 0.0
    return float(1.0 / (1.0 + (fit_error_mm / 6.0) ** 2) / (1.0 + (silhouette_px / 3.0) ** 2))


class Fitter:
    """Fits one hand shape (both hands' mirror images ready) to depth crops."""

    def __init__(self, settings: FitSettings = FitSettings(), shape: HandShape | None = None):
        self.settings = settings
        self.shapes = {False: replace(shape or HandShape.default(), left=False)}
        self.shapes[True] = replace(self.shapes[False], left=True)
        self._palm = {left: palm_cones(s) for left, s in self.shapes.items()}
        self._damping = _damping(*settings.damping)
        self._ik_damping = _damping(1e-2, 1e3, 50.0, 50.0, 50.0)

    def _solve(self, shape: HandShape, start: HandState, points, targets, target_weights, dt, origin, camera,
               weights, iterations, damping, rigid_iterations=1, previous=None):
        bl, bp, frames, sign, chains, left = shape_arrays(shape)
        r, t, a, joints, dist, sil = lm_fit(
            np.ascontiguousarray(start.rotation), np.asarray(start.translation, float).copy(),
            np.asarray(start.angles, float).copy(), bl, bp, frames, sign, chains, left,
            np.asarray(shape.joint_radii, float), self._palm[shape.left], FINGER_CONES, JOINT_SEGMENT, points,
            targets, target_weights, _NO_PREVIOUS if previous is None else previous, dt, origin, camera, LO, HI,
            damping, np.asarray(weights, float), rigid_iterations, iterations)
        return HandState(r, t, a), joints, dist, sil

    def inverse_kinematics(self, targets_mm: np.ndarray, left: bool) -> tuple[HandState, np.ndarray, float]:
        """Compiled IK of 21 joints for one hand: its state, joints and rms distance (mm)."""
        shape = self.shapes[left]
        targets = np.asarray(targets_mm, float)
        start = rigid_start(np.nan_to_num(targets), shape)
        keypoints_only = (0.0, 1.0, 0.0, 0.0, 0.0, 0.0)  # IK: the fit's solve with the keypoint term alone
        state, joints, _, _ = self._solve(shape, start, np.zeros((0, 3)), targets, np.ones(NUM_JOINTS), _NO_DT,
                                          _NO_WINDOW, np.zeros(4), keypoints_only, self.settings.ik_iterations,
                                          self._ik_damping)
        ok = np.all(np.isfinite(targets), axis=1)
        rms = float(np.sqrt(np.mean(np.sum((joints[ok] - targets[ok]) ** 2, axis=1)))) if ok.any() else np.inf
        return state, joints, rms

    def fit(self, depth_mm: np.ndarray, intrinsics: Intrinsics, center_mm: np.ndarray, cube_mm: float,
            network_joints: np.ndarray, previous: FitResult | None = None) -> FitResult:
        """Fit the hand around `center_mm`, starting from IK of `network_joints` and from `previous`;
        never raises for bad depth: a fit with nothing to explain comes back with confidence 0."""
        s = self.settings
        network = np.asarray(network_joints, float)
        # The network does not say which hand it sees: both are fitted, unless IK tells them apart
        # clearly, or a confident previous fit already knows (a tracked hand does not change sides).
        sides = (previous.shape.left,) if previous is not None else (False, True)
        starts = {left: self.inverse_kinematics(network, left) for left in sides}
        rms = {left: v[2] for left, v in starts.items()}
        hands = [left for left in sides if rms[left] <= s.handedness_margin * min(rms.values())]
        hypotheses = [(self.shapes[left], starts[left][0]) for left in hands]
        if previous is not None:
            hypotheses.append((previous.shape, previous.state))
        first = starts[min(rms, key=rms.get)]
        obs = hand_points(depth_mm, intrinsics, np.asarray(center_mm, float), cube_mm, first[1], s.max_points)
        camera = np.array([intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy], float)
        if len(obs.points) < s.min_points:
            left = min(rms, key=rms.get)
            return FitResult(first[1], first[0], self.shapes[left], float("inf"), float("inf"), 0.0, len(obs.points))
        best = None
        weights = (s.data, s.keypoints, s.silhouette, s.dip_coupling, s.collision,
                   s.temporal if previous is not None else 0.0)
        last = previous.joints_mm if previous is not None else None
        for shape, start in hypotheses:
            fitted, fjoints, dist, sil = self._solve(
                shape, start, obs.points, network, NETWORK_WEIGHTS, obs.distance, obs.origin, camera, weights,
                s.iterations, self._damping, s.rigid_iterations, last)
            err = float(np.median(dist))
            score = err + 2.0 * sil  # mm + px: both explain the data, the silhouette what is missing
            if best is None or score < best[0]:
                best = (score, FitResult(fjoints, fitted, shape, err, float(sil), confidence(err, sil), len(obs.points)))
        return best[1]
