"""HandPoseEstimator: depth image in, 21 joints in camera millimetres out (ONNX Runtime, no torch).

Stages: detect (nearest hand-sized blob and its centre of mass, or re-centre on the previous
frame's hand) → refine (for a hand found anew, the coarse refiner looks at a 600 mm crop and
brings a centre that landed on the forearm near the hand; the centre-refinement network then moves
it onto the hand's reference point, when these models are there) → crop (cube around the centre, 96×96) →
infer (JGR-P2O) → post (back to camera mm and pixels) → fit (the hand model fitted to the depth,
starting from the network's joints; handpose_live/fit/). Cube and input size come from the
model's metadata.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.fit.calibrate import CalibrationState, ShapeCalibrator
from handpose_live.fit.fitter import FitSettings
from handpose_live.hand.pose import angles_pose
from handpose_live.hand.shape import HandShape, ShapeFactors
from handpose_live.joints import Joint
from handpose_live.pipeline.crop import crop_depth, crop_to_joints, make_crop_box
from handpose_live.pipeline.depth_input import depth_in_mm
from handpose_live.pipeline.detect import Detection, DetectSettings, find_hand, track_hand
from handpose_live.pipeline.fit import REFINE_EVERY, FitStage
from handpose_live.pipeline.network import MIRRORED, predict_joints
from handpose_live.pipeline.onnx_model import ModelError, OnnxModel
from handpose_live.pipeline.shipped import DEFAULT_COARSE_REFINER, DEFAULT_REFINER, load_pose_model
from handpose_live.pipeline.smoothing import OneEuroFilter, Smoothing
from handpose_live.profile import HandProfile
from handpose_live.types import HandPoseResult

# Without the coarse refiner, a new hand whose refined centre moved at least this far from the
# detector's also gets the network on the detector's crop: on real frames the refiner (trained on
# synthetic depth) could pull the crop off the hand (NYU frame 1: 72 mm with it, 20 mm without),
# and the fit decides.
ALTERNATIVE_MOVE_MM = 30.0


@dataclass(frozen=True)
class Proposal:
    """The network's answer for one frame (detect → refine → crop → infer → post), before the fit:
    `result` has the network's joints as its answer; `alternatives`, the same for other crops of a
    new hand (the detector's own centre), for the fit to choose from; the fit needs the depth."""

    depth_mm: np.ndarray
    intrinsics: Intrinsics
    result: HandPoseResult
    alternatives: tuple[HandPoseResult, ...] = ()


@dataclass(frozen=True)
class EstimatorOptions:
    """Settings of a HandPoseEstimator.

    Args:
        model_path: the exported pose network (its metadata gives cube and input size); None: the
            shipped one, int8 on the CPU and fp32 on a GPU.
        refiner_path: the exported centre refiner; the default is used when that file exists,
            None turns refinement off (the coarse step too).
        coarse_refiner_path: the coarse refiner (`train-refiner --coarse`), applied once to a newly
            detected hand before the refiner; the default is used when that file exists, None: none.
        refine_iterations: refinement steps for a newly detected hand (1-3); a tracked hand
            starts near its reference point already and gets one.
        provider: ONNX Runtime preference: auto (TensorRT, CUDA, then CPU), tensorrt, cuda or cpu.
        min_depth_mm, max_depth_mm: where a hand may be.
        tracking: start from the previous frame's hand instead of searching the whole frame.
        threads: ONNX Runtime intra-op threads (None: the usable cores, at most 4).
        fit: fit the hand model to the depth after the network (SPEC §8); off, the network's joints
            are the answer.
        fit_settings: the fit's weights and budget.
        profile: a calibrated hand (handpose_live/profile.py) the fit uses instead of the average hand.
        refine_profile: go on calibrating the shape (from the profile, or the average hand) from
            tracked frames while running; `refined_profile` has the result.
        mirrored: "on": run the network on the crop's mirror image too and average the two answers
            (pipeline/network.py: 0.86 mm better on the synthetic test set's crops); "auto" (default)
            does so on a GPU, where the second crop costs next to nothing, not on the CPU (+4-7 ms).
        smoothing: smooth the joints from frame to frame with a One Euro filter (video mode: give
            `estimate` each frame's `timestamp_s`); None: each frame's own answer. The live app
            smooths in its engine and leaves this off.
    """

    model_path: Path | None = None
    refiner_path: Path | None = DEFAULT_REFINER
    coarse_refiner_path: Path | None = DEFAULT_COARSE_REFINER
    refine_iterations: int = 3
    provider: str = "auto"
    min_depth_mm: float = 150.0
    max_depth_mm: float = 1200.0
    tracking: bool = True
    threads: int | None = None
    fit: bool = True
    fit_settings: FitSettings = FitSettings()
    profile: HandProfile | None = None
    refine_profile: bool = False
    refine_every: int = REFINE_EVERY  # tracked frames per calibration update while refining
    smoothing: Smoothing | None = None
    mirrored: str = "auto"

    def __post_init__(self) -> None:
        if not 0 < self.min_depth_mm < self.max_depth_mm:
            raise ValueError(f"depth range {self.min_depth_mm}-{self.max_depth_mm} mm is empty or negative")
        if not 1 <= self.refine_iterations <= 3:
            raise ValueError(f"refine_iterations must be 1, 2 or 3, got {self.refine_iterations}")
        if self.mirrored not in MIRRORED:
            raise ValueError(f"mirrored must be one of {', '.join(MIRRORED)}, got {self.mirrored!r}")


class HandPoseEstimator:
    """Estimates one hand's 3D joints per depth image; keeps the last hand for tracking."""

    def __init__(self, options: EstimatorOptions = EstimatorOptions()):
        self.options = options
        self.model, notes = load_pose_model(options.model_path, options.provider, options.threads)
        info = self.model.info
        if info.architecture != "jgr_p2o":
            raise ModelError(f"{self.model.path} is a {info.architecture} model, not a pose network")
        self.cube_mm = info.cube_mm
        self.input_size = info.input_size
        self.detect_settings = DetectSettings(
            min_depth_mm=options.min_depth_mm, max_depth_mm=options.max_depth_mm, cube_mm=info.cube_mm
        )
        self.provider = self.model.providers_in_use[0].replace("ExecutionProvider", "")
        self.mirrored = options.mirrored == "on" or (options.mirrored == "auto" and self.provider != "CPU")
        self.refiner = self._load_refiner(options.refiner_path, DEFAULT_REFINER, notes)
        # The coarse step hands its centre on to the refiner, and is only used with one.
        self.coarse_refiner = None if self.refiner is None else self._load_refiner(
            options.coarse_refiner_path, DEFAULT_COARSE_REFINER, notes)
        # Lines for the user: a provider asked for that is not what runs, a stale int8 copy passed over.
        self.notes: tuple[str, ...] = tuple(notes)
        self._calibrator: ShapeCalibrator | None = None  # with refine_profile
        self.fit_stage = self._fit_stage() if options.fit else None
        self._previous: np.ndarray | None = None
        self._filter = None if options.smoothing is None else OneEuroFilter.of(options.smoothing)
        # Set by the fit (its own thread in the live engine) when it chose another crop than the
        # network's first: the next proposal tracks from there. One reference, swapped atomically.
        self._anchor: np.ndarray | None = None

    def _load_refiner(self, path: Path | None, default: Path, notes: list[str]) -> OnnxModel | None:
        """A centre refiner's session (None: none asked for, or the default is not there); its notes
        join `notes`."""
        if path is None or (path == default and not default.exists()):
            return None
        refiner = OnnxModel(path, self.options.provider, self.options.threads)
        if refiner.info.architecture != "com_refiner":
            raise ModelError(f"{path} is not a centre-refiner model")
        notes += [n for n in refiner.notes if n not in notes]
        return refiner

    def __enter__(self) -> HandPoseEstimator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Release the ONNX Runtime sessions."""
        self.model = None
        self.refiner = None
        self.coarse_refiner = None

    def reset(self) -> None:
        """Forget the tracked hand; the next frame is searched in full."""
        self._previous = None
        self._anchor = None
        if self.fit_stage is not None:
            self.fit_stage.reset()
        if self._filter is not None:
            self._filter.reset()

    def _shape(self) -> HandShape | None:
        return None if self.options.profile is None else self.options.profile.factors.shape()

    def _fit_stage(self) -> FitStage:
        """The fit stage, with the calibrator when refining the profile: one for the estimator's life,
        so that turning the fit off and on again keeps what the calibration has learnt."""
        o = self.options
        if o.refine_profile and self._calibrator is None:
            self._calibrator = ShapeCalibrator(fit_settings=o.fit_settings,
                                               start=o.profile.factors if o.profile else ShapeFactors())
        shape = self._shape()
        if self._calibrator is not None and self._calibrator.state.frames:
            shape = self._calibrator.factors.shape()
        return FitStage(o.fit_settings, shape, self._calibrator, o.refine_every)

    @property
    def calibration(self) -> CalibrationState | None:
        """With `refine_profile`: what the calibration knows so far (factors, frames, information)."""
        return None if self._calibrator is None else self._calibrator.state

    @property
    def refined_profile(self) -> HandProfile | None:
        """With `refine_profile`, the profile as refined so far (None before any frame counted)."""
        cal = self._calibrator
        if cal is None or cal.state.frames == 0:
            return None
        base = self.options.profile or HandProfile("my hand", ShapeFactors())
        return replace(base, factors=cal.factors, frames=base.frames + cal.state.frames)

    def set_profile(self, profile: HandProfile | None) -> None:
        """Fit this calibrated hand (None: the average hand) from the next estimate(), on its thread."""
        self.options = replace(self.options, profile=profile)
        if self.fit_stage is not None:
            self.fit_stage.set_shape(self._shape() or HandShape.default())

    def set_fit(self, on: bool) -> None:
        """Turn the model fit on or off from the next estimate() (call it between frames, on their thread)."""
        if on and self.fit_stage is None:
            self.fit_stage = self._fit_stage()
        elif not on:
            self.fit_stage = None
        self.options = replace(self.options, fit=on)

    def _refine(self, depth_mm: np.ndarray, intrinsics: Intrinsics, center: np.ndarray, tracked: bool) -> np.ndarray:
        """Move the centre onto the hand's reference point: a new hand gets one coarse step, then
        `refine_iterations` of the refiner; a tracked one, already near it, one refiner step."""
        low = self.options.min_depth_mm
        if self.coarse_refiner is not None and not tracked:
            center = _step(self.coarse_refiner, depth_mm, intrinsics, center, 1, low)
        return _step(self.refiner, depth_mm, intrinsics, center, 1 if tracked else self.options.refine_iterations, low)

    def estimate(self, depth: np.ndarray, intrinsics: Intrinsics, depth_scale_mm: float | None = None,
                 timestamp_s: float | None = None) -> HandPoseResult:
        """Joints of the hand in one depth image, 0 = no data: float millimetres, or a camera's raw
        integer counts times `depth_scale_mm` (default 1 mm per count, a RealSense's default unit).
        With `options.smoothing`, `timestamp_s` is the frame's time (default: now) and the joints
        are filtered over the frames before (the network's own stay as they were).

        Raises ValueError for an image that does not match the intrinsics or whose values look like
        metres (a hand would never be found in it).
        """
        result = self.fit(self.propose(depth, intrinsics, depth_scale_mm))
        if self._filter is None:
            return result
        if not result.hand_found:
            self._filter.reset()
            return result
        joints = self._filter(result.joints_mm, time.perf_counter() if timestamp_s is None else timestamp_s)
        return replace(result, joints_mm=joints, joints_px=intrinsics.project(joints)[:, :2])

    def propose(self, depth: np.ndarray, intrinsics: Intrinsics, depth_scale_mm: float | None = None) -> Proposal:
        """The stages before the fit (`estimate` is `fit(propose(...))`). They never wait for the
        fit: the next frame's crop is anchored to the network's joints, so a live engine can run
        the network on one frame while the previous one is fitted."""
        if self.model is None:
            raise RuntimeError("this HandPoseEstimator is closed")
        if depth.shape != (intrinsics.height, intrinsics.width):
            raise ValueError(f"depth image {depth.shape[::-1]} does not match the intrinsics "
                             f"{intrinsics.width}x{intrinsics.height}")
        t0 = time.perf_counter()
        depth_mm = depth_in_mm(depth, depth_scale_mm)  # timed with detect: a cheap max, or one conversion
        anchor, self._anchor = self._anchor, None
        if anchor is not None:
            self._previous = anchor
        det = None
        if self.options.tracking and self._previous is not None:
            det = track_hand(depth_mm, intrinsics, self._previous, self.detect_settings)
        if det is None:
            det = find_hand(depth_mm, intrinsics, self.detect_settings)
        t1 = time.perf_counter()
        if det is None:
            self._previous = None
            return Proposal(depth_mm, intrinsics, HandPoseResult(False, np.zeros((0, 3)), np.zeros((0, 2)), None, None,
                                                                 {"detect": (t1 - t0) * 1e3}, self.provider))
        refining = self.refiner is not None
        center = self._refine(depth_mm, intrinsics, det.center_mm, det.tracked) if refining else det.center_mm
        t_refined = time.perf_counter()
        timings = {"detect": (t1 - t0) * 1e3}
        if refining:
            timings["refine"] = (t_refined - t1) * 1e3
        joints, crop, stages = self._network(depth_mm, intrinsics, center)
        # Track from the predicted reference joint: it is anchored to the hand, whereas re-centring
        # from the last centre of mass, frame after frame, slides down the forearm.
        self._previous = joints[Joint.MIDDLE_MCP]
        others = []  # (centre, network output) of the other crops the fit chooses among
        if self.fit_stage is not None and not det.tracked:
            # After a coarse step the detector's own crop is mostly the forearm it landed on: as a
            # second crop it lost more frames than it saved (crops holding every joint, 1,000 full
            # frames: 97.5 % without it, 95.3 % with it).
            if self.coarse_refiner is None and np.linalg.norm(center - det.center_mm) >= ALTERNATIVE_MOVE_MM:
                others.append(det.center_mm)
            if det.alternative_mm is not None:
                arm = det.alternative_mm
                if refining:
                    t_arm = time.perf_counter()
                    arm = self._refine(depth_mm, intrinsics, arm, tracked=False)
                    timings["refine"] += (time.perf_counter() - t_arm) * 1e3
                others.append(arm)
        outputs = [(c, self._network(depth_mm, intrinsics, c)) for c in others]
        for _, (_, _, extra) in outputs:  # the frame's cost: every crop
            stages = {k: v + extra[k] for k, v in stages.items()}
        timings.update(stages)
        result = self._answer(intrinsics, center, joints, crop, timings, det)
        alternatives = tuple(self._answer(intrinsics, c, out[0], out[1], timings, det) for c, out in outputs)
        return Proposal(depth_mm, intrinsics, result, alternatives)

    def _network(self, depth_mm: np.ndarray, intrinsics: Intrinsics,
                 center: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Crop → infer → post around `center`: the network's joints (21, 3), its crop and each stage's ms."""
        t0 = time.perf_counter()
        box = make_crop_box(center, intrinsics, self.cube_mm, self.input_size)
        crop = crop_depth(depth_mm, box)
        t1 = time.perf_counter()
        uvd = predict_joints(self.model, crop, self.cube_mm, self.mirrored)
        t2 = time.perf_counter()
        joints = crop_to_joints(uvd, box)
        t3 = time.perf_counter()
        return joints, crop, {"crop": (t1 - t0) * 1e3, "infer": (t2 - t1) * 1e3, "post": (t3 - t2) * 1e3}

    def _answer(self, intrinsics: Intrinsics, center: np.ndarray, joints: np.ndarray, crop: np.ndarray,
                timings: dict[str, float], det: Detection) -> HandPoseResult:
        """The network's joints around `center` as a result (the frame's stage times in `timings`)."""
        return HandPoseResult(True, joints, intrinsics.project(joints)[:, :2], center, crop, timings, self.provider,
                              det.tracked, det.center_mm, network_joints_mm=joints)

    def fit(self, proposal: Proposal) -> HandPoseResult:
        """The fit stage on a proposal (frames in order: a tracked hand starts from its last fit);
        without the fit, or without a hand, the proposal's result as it is. Of several crops, the
        one whose fit explains the depth best is the answer."""
        stage, r = self.fit_stage, proposal.result
        if not r.hand_found:
            if stage is not None:
                stage.reset()
            return r
        if stage is None:
            return r
        t0 = time.perf_counter()
        crops = (r, *proposal.alternatives)
        chosen, fit = stage.run(proposal.depth_mm, proposal.intrinsics, self.cube_mm,
                                [(c.center_mm, c.network_joints_mm) for c in crops], r.tracked)
        r = crops[chosen]  # every crop carries the frame's stage times
        if chosen:
            self._anchor = r.network_joints_mm[Joint.MIDDLE_MCP]
        joints = r.network_joints_mm
        timings = {**r.timings_ms, "fit": (time.perf_counter() - t0) * 1e3}
        fitted = fit.joints_mm if np.all(np.isfinite(fit.joints_mm)) else joints
        return replace(r, joints_mm=fitted, joints_px=proposal.intrinsics.project(fitted)[:, :2], timings_ms=timings,
                       pose=angles_pose(fit.state.angles), shape=fit.shape, fit_error_mm=fit.fit_error_mm,
                       silhouette_error_px=fit.silhouette_error_px, confidence=fit.confidence,
                       handedness="left" if fit.shape.left else "right", handedness_score=fit.handedness_score)


def _step(refiner: OnnxModel, depth_mm: np.ndarray, intrinsics: Intrinsics, center: np.ndarray, iterations: int,
          min_depth_mm: float) -> np.ndarray:
    """`iterations` steps of one refiner from `center`, each on a crop of its own cube and size."""
    info = refiner.info
    start = center
    for _ in range(iterations):
        box = make_crop_box(center, intrinsics, info.cube_mm, info.input_size)
        center = center + refiner.predict(crop_depth(depth_mm, box)[None])[0] * (0.5 * info.cube_mm)
        if not np.all(np.isfinite(center)) or center[2] < min_depth_mm:
            return start  # a refinement that leaves the working range is not trusted
    return center
