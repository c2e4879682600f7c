"""A search over each finger's bend after the first fit: the fit's basin is narrow (a finger 30°
off is not pulled back), and a network trained on synthetic depth bends fingers towards its mean
pose. Finger by finger, a few preset bends (straight, half, curled) are tried, each settled by a
short solve, and kept where the fit's score drops; a tracker's re-initialisation, done per finger
so that 5 × presets tries cover what a grid over all fingers would need presets⁵ for."""
from __future__ import annotations

import numpy as np

from handpose_live.fit.jit import njit
from handpose_live.fit.solver import lm_fit, state_arrays
from handpose_live.hand.jacobians import HandState

# Flexion of the base, middle and distal joint (deg); a finger's abduction is kept as fitted.
FINGER_BENDS = np.radians(np.array([[0.0, 0.0, 0.0], [20.0, 20.0, 10.0], [45.0, 50.0, 30.0], [85.0, 95.0, 60.0]]))
# The thumb's four angles (deg): CMC flexion, CMC abduction, MCP, IP.
THUMB_BENDS = np.radians(np.array([[0.0, 0.0, 0.0, 0.0], [30.0, 30.0, 40.0, 50.0], [40.0, 45.0, 50.0, 70.0]]))
# The score: mean point distance (mm, each capped at TRUNCATE_MM) + this × silhouette error (px).
# A mean, not a median: a finger moved off its points shows in the few points it leaves behind.
SILHOUETTE_MM_PER_PX = 1.0
TRUNCATE_MM = 20.0  # a point this far off (the forearm, an object) counts no more
# A try is kept only where it lowers the score by this fraction: sensor noise alone moves the score
# by a few per cent, and a hand that explains the data as well as before should stay as it was.
KEEP_BELOW = 0.98


@njit
def fit_score(distances: np.ndarray, silhouette_px: float) -> float:
    """How badly a fit explains the data: capped mean point distance (mm) plus the weighted silhouette error."""
    total = 0.0
    for d in distances:
        total += min(d, TRUNCATE_MM)
    return total / max(distances.shape[0], 1) + SILHOUETTE_MM_PER_PX * silhouette_px


@njit
def search_fingers(rotation, translation, angles, score, fingers, iterations, finger_bends, thumb_bends, bl, bp, frames,
                   sign, chains, left, radii, palm, finger_cones, joint_segments, points, targets, target_weights,
                   previous, dt, origin, camera, lo, hi, damping, weights):
    """Try every preset bend of each finger in `fingers` (0 = thumb) from the fitted state, each with
    `iterations` LM iterations, keeping a try only where its score is clearly lower; the state and score.

    The remaining arguments are those of `solver.lm_fit`, passed through unchanged."""
    for f in fingers:
        presets = thumb_bends if f == 0 else finger_bends
        for p in range(presets.shape[0]):
            trial = angles.copy()
            if f == 0:
                trial[2:6] = presets[p]
            else:
                k = 2 + 4 * f
                trial[k] = presets[p, 0]
                trial[k + 2] = presets[p, 1]
                trial[k + 3] = presets[p, 2]
            r, t, a, _, dist, sil = lm_fit(rotation, translation, trial, bl, bp, frames, sign, chains, left, radii,
                                           palm, finger_cones, joint_segments, points, targets, target_weights,
                                           previous, dt, origin, camera, lo, hi, damping, weights, 0, iterations)
            s = fit_score(dist, sil)
            if s < KEEP_BELOW * score:
                rotation, translation, angles, score = r, t, a, s
    return rotation, translation, angles, score


def search(fit_problem: tuple, start: HandState, score: float, fingers: np.ndarray,
           iterations: int) -> tuple[HandState, float]:
    """`search_fingers` for a `solver.problem` from a fitted state and its score: the state kept and its score."""
    r, t, a, s = search_fingers(*state_arrays(start), float(score), np.asarray(fingers, np.int64), iterations,
                                FINGER_BENDS, THUMB_BENDS, *fit_problem)
    return HandState(r, t, a), float(s)
