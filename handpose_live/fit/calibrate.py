"""Hand shape calibration (SPEC §8, honline): the shape factors (global scale, palm width, each
finger's length) under which the hand model explains the observed depth best, accumulated over
frames.

Each good frame (fit error and silhouette error below a threshold) adds a linearised least-squares
system in the seven factors: its residuals are the capped point-to-model distances, the silhouette
error and the rendered model's depth against the observed one (model → data), after the pose has
followed the trial shape for a few LM iterations; its Jacobian comes from finite differences. The
systems add up, so every frame counts by what it tells: a finger's length weighs in only where
moving it changes the residuals (a finger hidden or seen end-on says nothing), and a weak prior
keeps factors no frame has informed at 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.fitter import FitResult, FitSettings
from handpose_live.fit.keypoints import NETWORK_WEIGHTS
from handpose_live.fit.model import palm_cones
from handpose_live.fit.points import hand_points
from handpose_live.fit.solver import damping, problem, solve
from handpose_live.hand.shape import FACTOR_NAMES, ShapeFactors
from handpose_live.joints import Joint
from handpose_live.synthetic.render import render_depth


@dataclass(frozen=True)
class CalibrationSettings:
    """Which frames count and how each is linearised."""

    max_fit_error_mm: float = 3.0  # worse fits say more about the pose than about the shape
    max_silhouette_px: float = 1.5
    pose_iterations: int = 3  # LM iterations the pose gets under each trial shape
    step: float = 0.02  # finite-difference step of each factor
    # One frame's say is capped (the trace of its JᵀJ): a frame where a fingertip slips across the
    # silhouette's edge between two trial shapes would otherwise outweigh all the others.
    frame_information: float = 2e4
    cap_mm: float = 15.0  # a point farther from the model is an outlier, not shape evidence
    silhouette_weight_mm: float = 2.0  # one pixel of silhouette error counts like this many mm
    prior: float = 200.0  # pulls each factor towards 1 (in the units of Σ residual²)
    bounds: tuple[float, float] = (0.75, 1.35)


@dataclass(frozen=True)
class CalibrationState:
    """What the calibration knows so far."""

    factors: ShapeFactors
    frames: int  # frames that counted
    rejected: int  # frames whose fit was too poor to count
    information: np.ndarray  # (7,) diagonal of the accumulated JᵀJ, per factor (FACTOR_NAMES)


class ShapeCalibrator:
    """Accumulates the shape evidence of fitted frames; `factors` is the current estimate."""

    def __init__(self, settings: CalibrationSettings = CalibrationSettings(),
                 fit_settings: FitSettings = FitSettings(), start: ShapeFactors = ShapeFactors()):
        self.settings, self.fit_settings = settings, fit_settings
        self.factors = start
        self._h = np.zeros((len(FACTOR_NAMES), len(FACTOR_NAMES)))
        self._b = np.zeros(len(FACTOR_NAMES))
        self._frames = self._rejected = 0
        self._damping = damping(*fit_settings.damping)

    @property
    def state(self) -> CalibrationState:
        """The current factors, the frames used and each factor's information."""
        return CalibrationState(self.factors, self._frames, self._rejected, np.diag(self._h).copy())

    def add(self, depth_mm: np.ndarray, intrinsics: Intrinsics, cube_mm: float, fit: FitResult) -> bool:
        """Use one frame and its fit (made with the current factors' shape); False when the fit is
        too poor to say anything about the shape."""
        s = self.settings
        if not (fit.fit_error_mm <= s.max_fit_error_mm and fit.silhouette_error_px <= s.max_silhouette_px):
            self._rejected += 1
            return False
        fs = self.fit_settings
        obs = hand_points(depth_mm, intrinsics, fit.joints_mm[Joint.MIDDLE_MCP], cube_mm, fit.joints_mm, fs.max_points)
        if len(obs.points) < fs.min_points:
            self._rejected += 1
            return False
        camera = np.array([intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy], float)
        # The data alone decides the shape: no pull to the network's joints, no temporal term.
        weights = (fs.data, 0.0, fs.silhouette, fs.dip_coupling, fs.collision, 0.0)
        left = fit.shape.left

        observed = np.nan_to_num(np.asarray(depth_mm, np.float32), nan=0.0)

        def residuals(theta: np.ndarray) -> np.ndarray:
            shape = ShapeFactors.from_array(theta).shape(left)
            prob = problem(shape, palm_cones(shape), obs.points, fit.joints_mm, NETWORK_WEIGHTS, obs.distance,
                           obs.origin, camera, weights, self._damping)
            _, joints, dist, sil = solve(prob, fit.state, 0, s.pose_iterations)
            # Data → model distances alone favour a model longer and thicker than the hand: it still
            # passes near every observed point. Model → data closes that: the rendered model's depth
            # against the observed one, over the model's pixels (nothing observed there: the cap).
            model = render_depth(joints, intrinsics, shape.joint_radii, forearm_length_mm=0.0)
            on = model > 0
            gap = np.where(observed[on] > 0, np.abs(model[on] - observed[on]), s.cap_mm)
            rendered = float(np.minimum(gap, s.cap_mm).mean()) if on.any() else s.cap_mm
            # Each of these is one mean: it counts like every point.
            n = np.sqrt(len(dist))
            return np.concatenate([np.minimum(dist, s.cap_mm), [n * s.silhouette_weight_mm * sil, n * rendered]])

        theta = self.factors.as_array()
        r0 = residuals(theta)
        jac = np.empty((len(r0), len(theta)))
        for i in range(len(theta)):
            t = theta.copy()
            t[i] += s.step
            jac[:, i] = (residuals(t) - r0) / s.step
        h = jac.T @ jac
        weight = min(1.0, s.frame_information / max(float(np.trace(h)), 1e-12))
        self._h += weight * h
        self._b += weight * (jac.T @ (jac @ theta - r0))
        prior = s.prior * np.eye(len(theta))
        solved = np.linalg.solve(self._h + prior, self._b + prior @ np.ones(len(theta)))
        self.factors = ShapeFactors.from_array(np.clip(solved, *s.bounds))
        self._frames += 1
        return True
