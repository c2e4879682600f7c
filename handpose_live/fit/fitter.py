"""The fit stage: start from inverse kinematics of the network's joints (and from the previous
frame's fit when tracking), fit each hypothesis to the observed points with one compiled LM
solve, keep the better-scoring one, and say how well it explains the data."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.ik import IKResult, inverse_kinematics
from handpose_live.fit.keypoints import NETWORK_WEIGHTS
from handpose_live.fit.model import palm_cones
from handpose_live.fit.points import hand_points
from handpose_live.fit.search import fit_score, search
from handpose_live.fit.solver import damping, problem, solve
from handpose_live.hand.jacobians import HandState
from handpose_live.hand.shape import HandShape

HANDS = ("auto", "left", "right")
OTHER_CROP_BELOW = 0.7  # another crop's fit must score below this fraction of the first crop's


@dataclass(frozen=True)
class FitSettings:
    """Weights and budget of the fit (SPEC §8); the weights are per term, named after it."""

    max_points: int = 256
    rigid_iterations: int = 1  # the whole hand moved first, its joint angles held
    iterations: int = 6  # full LM iterations after the rigid ones
    search_iterations: int = 3  # per preset bend tried by the finger search (fit/search.py); 0: no search
    final_iterations: int = 4  # after a search that changed the hand
    ik_iterations: int = 8
    data: float = 1.0
    keypoints: float = 0.1  # × the per-joint weights of keypoints.NETWORK_WEIGHTS
    silhouette: float = 0.5
    dip_coupling: float = 2e4
    collision: float = 0.2
    temporal: float = 0.05  # toward the previous frame's fitted joints, while tracking (live)
    damping: tuple[float, float, float, float, float] = (1.0, 1e3, 200.0, 2e3, 500.0)  # t, R, flex, abd, distal
    min_points: int = 30  # fewer hand points: nothing to fit, confidence 0
    handedness_margin: float = 1.5  # fit both hands unless one's IK residual is this many times the other's
    hand: str = "auto"  # "left" or "right" fits that hand only; "auto" decides per new hand

    def __post_init__(self) -> None:
        if self.hand not in HANDS:
            raise ValueError(f"hand must be one of {', '.join(HANDS)}, got {self.hand!r}")


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
    handedness_score: float = 1.0  # 0.5-1: how clearly this side explains the data better than the other


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
        self._damping = damping(*settings.damping)

    def inverse_kinematics(self, targets_mm: np.ndarray, left: bool) -> IKResult:
        """Compiled IK of 21 joints for one hand (fit/ik.py) with this fitter's shape and budget."""
        shape = self.shapes[left]
        return inverse_kinematics(targets_mm, shape, iterations=self.settings.ik_iterations, palm=self._palm[left])

    def fit(self, depth_mm: np.ndarray, intrinsics: Intrinsics, center_mm: np.ndarray, cube_mm: float,
            network_joints: np.ndarray, previous: FitResult | None = None,
            search_fingers: tuple[int, ...] = (0, 1, 2, 3, 4)) -> FitResult:
        """Fit the hand around `center_mm`, starting from IK of `network_joints` and from `previous`,
        then search the bends of `search_fingers` (0 = thumb) on the better hypothesis; never raises
        for bad depth: a fit with nothing to explain comes back with confidence 0."""
        return self.fit_best(depth_mm, intrinsics, cube_mm, [(center_mm, network_joints)], previous, search_fingers)[1]

    def fit_best(self, depth_mm: np.ndarray, intrinsics: Intrinsics, cube_mm: float,
                 candidates: list[tuple[np.ndarray, np.ndarray]], previous: FitResult | None = None,
                 search_fingers: tuple[int, ...] = (0, 1, 2, 3, 4)) -> tuple[int, FitResult]:
        """`fit` for several crops of one frame, each a (centre, network joints) pair: each is
        fitted, the best-scoring one alone gets the finger search; its index and its fit."""
        s = self.settings
        best = None
        for k, (center, network) in enumerate(candidates):
            first = self._first_fit(depth_mm, intrinsics, np.asarray(center, float), cube_mm,
                                    np.asarray(network, float), previous)
            # The first crop is the pipeline's own choice: another replaces it only by a clear margin.
            if best is None or first.score < OTHER_CROP_BELOW * best[1].score:
                best = (k, first)
        k, f = best
        if f.problems is None:
            return k, f.result
        fitted, fjoints, dist, sil = f.fitted
        if s.search_iterations > 0 and search_fingers:
            found, found_score = search(f.problems[f.shape.left], fitted, f.score, np.array(search_fingers),
                                        s.search_iterations)
            if found_score < f.score:
                fitted, fjoints, dist, sil = solve(f.problems[f.shape.left], found, 0, s.final_iterations)
        err = float(np.median(dist))
        return k, FitResult(fjoints, fitted, f.shape, err, float(sil), confidence(err, sil), f.result.points,
                            f.result.handedness_score)

    def _first_fit(self, depth_mm: np.ndarray, intrinsics: Intrinsics, center_mm: np.ndarray, cube_mm: float,
                   network: np.ndarray, previous: FitResult | None) -> _FirstFit:
        """The hypotheses of one crop fitted, the best-scoring kept (no finger search yet)."""
        s = self.settings
        # The network does not say which hand it sees: both are fitted, unless IK tells them apart
        # clearly, or a confident previous fit already knows (a tracked hand does not change sides).
        if s.hand != "auto":
            sides = (s.hand == "left",)
        else:
            sides = (previous.shape.left,) if previous is not None else (False, True)
        starts = {left: self.inverse_kinematics(network, left) for left in sides}
        rms = {left: v.rms_mm for left, v in starts.items()}
        hands = [left for left in sides if rms[left] <= s.handedness_margin * min(rms.values())]
        hypotheses = [(self.shapes[left], starts[left].state) for left in hands]
        if previous is not None:
            hypotheses.append((previous.shape, previous.state))
        nearest = min(rms, key=rms.get)
        first = starts[nearest]
        obs = hand_points(depth_mm, intrinsics, center_mm, cube_mm, first.joints_mm, s.max_points)
        camera = np.array([intrinsics.fx, intrinsics.fy, intrinsics.cx, intrinsics.cy], float)
        if len(obs.points) < s.min_points:
            empty = FitResult(first.joints_mm, first.state, self.shapes[nearest], float("inf"), float("inf"), 0.0,
                              len(obs.points), 0.5)
            return _FirstFit(float("inf"), self.shapes[nearest], None, None, empty)
        weights = (s.data, s.keypoints, s.silhouette, s.dip_coupling, s.collision,
                   s.temporal if previous is not None else 0.0)
        last = previous.joints_mm if previous is not None else None
        problems = {left: problem(self.shapes[left], self._palm[left], obs.points, network, NETWORK_WEIGHTS,
                                  obs.distance, obs.origin, camera, weights, self._damping, last) for left in (False, True)}
        best = None
        side_scores: dict[bool, float] = {}
        for shape, start in hypotheses:
            fitted = solve(problems[shape.left], start, s.rigid_iterations, s.iterations)
            score = fit_score(fitted[2], fitted[3])
            side_scores[shape.left] = min(score, side_scores.get(shape.left, np.inf))
            if best is None or score < best[0]:
                best = (score, shape, fitted)
        score, shape, fitted = best
        err = float(np.median(fitted[2]))
        result = FitResult(fitted[1], fitted[0], shape, err, float(fitted[3]), confidence(err, fitted[3]), len(obs.points),
                           _side_score(shape.left, side_scores, rms, previous, s.hand))
        return _FirstFit(score, shape, problems, fitted, result)


def _side_score(left: bool, scores: dict[bool, float], ik_rms: dict[bool, float], previous: FitResult | None,
                hand: str) -> float:
    """0.5-1: how clearly the chosen side beats the other: by the two sides' fit scores where both
    were fitted, else by their IK residuals; a fixed side is certain, a tracked one keeps its score."""
    if hand != "auto":
        return 1.0
    for other in (scores, ik_rms):
        if len(other) == 2 and np.isfinite(other[not left]):
            mine, theirs = max(other[left], 1e-9), other[not left]
            return float(theirs / (mine + theirs))
    return previous.handedness_score if previous is not None else 0.5


@dataclass(frozen=True)
class _FirstFit:
    """One crop's best hypothesis before the finger search, with what the search needs."""

    score: float  # search.fit_score; inf with too few points
    shape: HandShape
    problems: dict | None  # solver.problem per side (None: nothing to fit)
    fitted: tuple | None  # solve's (state, joints, distances, silhouette px)
    result: FitResult
