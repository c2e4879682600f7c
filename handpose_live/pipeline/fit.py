"""Stage five, fit: the hand model fitted to the observed depth around the crop, starting from the
network's joints and, while tracking, from the previous frame's fit (handpose_live/fit/)."""
from __future__ import annotations

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.calibrate import ShapeCalibrator
from handpose_live.fit.fitter import FitResult, FitSettings, Fitter
from handpose_live.hand.shape import HandShape

# A fit this uncertain does not start the next frame's second hypothesis.
TRACK_CONFIDENCE = 0.3
ALL_FINGERS = (0, 1, 2, 3, 4)
# A tracked hand whose last fit explained the data worse than this has a finger searched.
SEARCH_ABOVE_MM = 2.0  # median data → model distance (a good track on synthetic depth: 0.7, p99 2.0)
SEARCH_ABOVE_PX = 1.0  # silhouette error (a good track: 0.2, p99 0.6)
# Refining a profile while tracking: one tracked frame in REFINE_EVERY feeds the calibration (each
# costs 20-40 ms of the fit thread), and the fit takes the refined shape every REFINE_SWITCH of them.
REFINE_EVERY = 15
REFINE_SWITCH = 4


class FitStage:
    """Fits frame after frame, keeping the last confident fit as the next frame's second start.

    A new hand gets every finger's bend searched. A tracked one starts from its previous fit,
    which carries the searches of earlier frames: it gets one finger per frame searched in turn,
    and only while its fit explains the data poorly, so that a good track costs no search."""

    def __init__(self, settings: FitSettings = FitSettings(), shape: HandShape | None = None,
                 calibrator: ShapeCalibrator | None = None, refine_every: int = REFINE_EVERY):
        self.fitter = Fitter(settings, shape)
        self.calibrator = calibrator  # refines the shape from tracked frames when given
        self.refine_every = refine_every
        self._previous: FitResult | None = None
        self._turn = 0
        self._tracked_frames = 0

    def set_shape(self, shape: HandShape) -> None:
        """Fit this hand shape from the next frame on (a calibrated profile); the track starts over."""
        self.fitter = Fitter(self.fitter.settings, shape)
        self._previous = None

    def reset(self) -> None:
        """Forget the previous fit (a new hand)."""
        self._previous = None

    def run(self, depth_mm: np.ndarray, intrinsics: Intrinsics, cube_mm: float,
            candidates: list[tuple[np.ndarray, np.ndarray]], tracked: bool) -> tuple[int, FitResult]:
        """The fit of this frame for the best of its crops, each a (centre, network joints) pair:
        which one, and its fit (never raises for bad depth: it comes back with confidence 0)."""
        previous = self._previous if tracked else None
        if previous is None:
            fingers = ALL_FINGERS
        elif previous.fit_error_mm > SEARCH_ABOVE_MM or previous.silhouette_error_px > SEARCH_ABOVE_PX:
            self._turn = (self._turn + 1) % len(ALL_FINGERS)
            fingers = (self._turn,)
        else:
            fingers = ()
        chosen, result = self.fitter.fit_best(depth_mm, intrinsics, cube_mm, candidates, previous, fingers)
        ok = result.confidence >= TRACK_CONFIDENCE and np.all(np.isfinite(result.joints_mm))
        self._previous = result if ok else None
        if self.calibrator is not None and ok and previous is not None:
            self._refine(depth_mm, intrinsics, cube_mm, result)
        return chosen, result

    def _refine(self, depth_mm: np.ndarray, intrinsics: Intrinsics, cube_mm: float, result: FitResult) -> None:
        """Feed one tracked frame in `refine_every` to the calibration; switch shapes every REFINE_SWITCH."""
        self._tracked_frames += 1
        if self._tracked_frames % self.refine_every:
            return
        cal = self.calibrator
        if cal.add(depth_mm, intrinsics, cube_mm, result) and cal.state.frames % REFINE_SWITCH == 0:
            self.fitter = Fitter(self.fitter.settings, cal.factors.shape())
