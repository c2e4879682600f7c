"""End-to-end figures of the estimator on synthetic full frames of every view (front: body, background,
distractors; egocentric and top-down: a table, objects on it and in the hand), overall and per view:
where the centre lands before and after refinement, whether the crop holds the hand, and the
joint error of the whole pipeline: the network alone, inverse kinematics of its joints, and the
model fit."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from tqdm import tqdm

from handpose_live.evaluation.metrics import PoseScores, score
from handpose_live.evaluation.testset import TEST_SEED
from handpose_live.hand.kinematics import reference_point
from handpose_live.pipeline.crop import joints_to_crop, make_crop_box
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.synthetic.generator import SynthSettings, render_frame, sample_rng
from handpose_live.synthetic.scene import SceneSettings
from handpose_live.synthetic.views import VIEWS, ViewSettings


@dataclass(frozen=True)
class PipelineFigures:
    """What `evaluate_pipeline` measured."""

    frames: int
    found: int
    detector_centre_error_mm: np.ndarray  # per frame with a hand found
    final_centre_error_mm: np.ndarray  # after refinement (equal to the above without a refiner)
    crop_holds_hand: float  # fraction of found frames whose crop contains every joint
    joints: PoseScores  # over frames with a hand found
    stage_ms: dict[str, float]  # median per stage
    refined: bool
    network: PoseScores | None = None  # the network's joints (before the fit), when the fit ran
    ik: PoseScores | None = None  # inverse kinematics of the network's joints alone, when the fit ran
    fit_error_mm: float | None = None  # median over frames of the fit's median data → model distance
    median_frame_mm: float = float("nan")  # median over frames of the frame's mean joint error
    stage_p95_ms: dict[str, float] | None = None  # 95th percentile per stage
    right_side: float | None = None  # fraction of found frames whose fitted hand is the true side (left/right)
    views: dict[str, dict] | None = None  # per view (synthetic/views.VIEWS): frames, crop holds, joint errors

    def to_dict(self) -> dict:
        """The figures `eval --pipeline --json` writes."""
        def block(s: PoseScores) -> dict:
            return {"joints_mean_mm": s.mean_mm, "per_joint_mm": [float(v) for v in s.per_joint_mm],
                    "within_20mm": s.success_at(20), "within_40mm": s.success_at(40)}

        out = {"frames": self.frames, "hands_found": self.found, "crop_holds_hand": self.crop_holds_hand,
               "joints_median_mm": self.median_frame_mm, **block(self.joints), "stage_ms": self.stage_ms,
               "stage_p95_ms": self.stage_p95_ms, "handedness_right": self.right_side,
               "fit_error_mm": self.fit_error_mm, "centre_error_mm": {
                   "detector_median": float(np.median(self.detector_centre_error_mm)),
                   "refined_median": float(np.median(self.final_centre_error_mm))}}
        if self.views is not None:
            out["views"] = self.views
        if self.network is not None:
            out["network"] = block(self.network)
        if self.ik is not None:
            out["ik"] = block(self.ik)
        return out


def evaluate_pipeline(options: EstimatorOptions, count: int, seed: int = TEST_SEED, width: int = 640,
                      height: int = 480, objects_beside: bool = False, progress: bool = True,
                      view: str | None = None) -> PipelineFigures:
    """Run the estimator (no tracking: every frame is a new scene) on `count` synthetic full frames.

    Args:
        objects_beside: place half the distractor objects beside the hand as in training, where
            some are nearer than the hand and nearest-object detection picks them; by default
            every object is behind the hand.
        view: only frames of this view (synthetic/views.VIEWS); None: the training mix.
    """
    views = ViewSettings() if view is None else ViewSettings(mix=tuple(float(v == view) for v in VIEWS))
    settings = SynthSettings(width=width, height=height, scene=SceneSettings(p_beside=0.5 if objects_beside else 0.0),
                             views=views)
    est = HandPoseEstimator(replace(options, tracking=False))
    ik = est.fit_stage.fitter if est.fit_stage is not None else None
    det_err, fin_err, holds, preds, truths, nets, iks, fit_errs, sides, views = [], [], [], [], [], [], [], [], [], []
    stages: dict[str, list[float]] = {}
    for k in tqdm(range(count), desc="pipeline", unit="frame", disable=not progress):
        frame = render_frame(sample_rng(seed, k), settings)
        r = est.estimate(frame.depth_mm, frame.intrinsics)
        for name, ms in r.timings_ms.items():
            stages.setdefault(name, []).append(ms)
        if not r.hand_found:
            continue
        ref = reference_point(frame.joints_mm)
        det_err.append(np.linalg.norm(r.detected_center_mm - ref))
        fin_err.append(np.linalg.norm(r.center_mm - ref))
        box = make_crop_box(r.center_mm, frame.intrinsics, est.cube_mm, est.input_size)
        holds.append(bool(np.all(np.abs(joints_to_crop(frame.joints_mm, box)) <= 1.0)))
        preds.append(r.joints_mm)
        truths.append(frame.joints_mm)
        views.append(frame.view)
        if ik is not None:
            nets.append(r.network_joints_mm)
            # IK alone: the better of the two hands' skeletons through the network's joints.
            iks.append(min((ik.inverse_kinematics(r.network_joints_mm, left) for left in (False, True)),
                           key=lambda x: x.rms_mm).joints_mm)
            fit_errs.append(r.fit_error_mm)
            sides.append(r.shape is not None and r.shape.left == frame.left)
    refined = est.refiner is not None
    est.close()
    if not preds:
        raise ValueError("the estimator found no hand in any frame")
    truth = np.array(truths)
    frame_mm = np.linalg.norm(np.array(preds) - truth, axis=2).mean(axis=1)
    finite = [e for e in fit_errs if np.isfinite(e)]
    return PipelineFigures(
        count, len(preds), np.array(det_err), np.array(fin_err), float(np.mean(holds)), score(np.array(preds), truth),
        {n: float(np.median(v)) for n, v in stages.items()}, refined,
        network=score(np.array(nets), truth) if nets else None, ik=score(np.array(iks), truth) if iks else None,
        fit_error_mm=float(np.median(finite)) if finite else None, median_frame_mm=float(np.median(frame_mm)),
        stage_p95_ms={n: float(np.percentile(v, 95)) for n, v in stages.items()},
        right_side=float(np.mean(sides)) if sides else None,
        views=_per_view(np.array(views), frame_mm, np.array(holds), np.array(nets) if nets else None, truth))


def _per_view(views: np.ndarray, frame_mm: np.ndarray, holds: np.ndarray, nets: np.ndarray | None,
              truth: np.ndarray) -> dict[str, dict]:
    """The main figures of the frames of each view."""
    out = {}
    for v in VIEWS:
        sel = views == v
        if not sel.any():
            continue
        out[v] = {"frames": int(sel.sum()), "crop_holds_hand": float(holds[sel].mean()),
                  "joints_mean_mm": float(frame_mm[sel].mean()), "joints_median_mm": float(np.median(frame_mm[sel]))}
        if nets is not None:
            out[v]["network_mean_mm"] = float(np.linalg.norm(nets[sel] - truth[sel], axis=2).mean())
    return out


def pipeline_report(f: PipelineFigures, objects_beside: bool = False) -> list[str]:
    """What `eval --pipeline` prints: hands found, centre errors, crop containment, joints, stage times."""
    where = "behind or beside (some nearer than)" if objects_beside else "behind"
    lines = [f"Synthetic 640x480 full frames (seed of the test set) seen from the front (body, background and other "
             f"objects {where} the hand), from the head or from above a desk (a table, objects on it, one in the "
             f"hand): hand found in {f.found} of {f.frames}",
             f"  centre to middle MCP, detector:        median {np.median(f.detector_centre_error_mm):6.1f} mm, "
             f"mean {f.detector_centre_error_mm.mean():6.1f} mm"]
    if f.refined:
        lines.append(f"  centre to middle MCP, after refining:  median {np.median(f.final_centre_error_mm):6.1f} mm, "
                     f"mean {f.final_centre_error_mm.mean():6.1f} mm")
    else:
        lines.append("  no centre refiner (models/com_refiner.onnx absent or --no-refiner)")
    lines += [f"  crops holding every joint: {f.crop_holds_hand:.1%}",
              f"  joints, whole pipeline: mean {f.joints.mean_mm:.2f} mm (median frame {f.median_frame_mm:.2f}), "
              f"frames within 20 / 40 mm {f.joints.success_at(20):.1%} / {f.joints.success_at(40):.1%}"
              + ("" if f.network is None else f"; the network alone {f.network.mean_mm:.2f} mm, "
                 f"IK of its joints {f.ik.mean_mm:.2f} mm; fit error {f.fit_error_mm:.2f} mm (median)"),
              "  median ms per stage: " + " · ".join(f"{n} {ms:.1f}" for n, ms in f.stage_ms.items())
              + ("" if f.stage_p95_ms is None or "fit" not in f.stage_p95_ms else
                 f" (fit p95 {f.stage_p95_ms['fit']:.1f})")]
    if f.right_side is not None:
        lines.append(f"  the fitted hand's side (left / right) is the true one in {f.right_side:.1%} of the frames")
    for v, fig in (f.views or {}).items():
        lines.append(f"  {v} view, {fig['frames']} frames: crops holding every joint {fig['crop_holds_hand']:.1%}, "
                     f"joints mean {fig['joints_mean_mm']:.2f} mm (median frame {fig['joints_median_mm']:.2f})"
                     + (f", the network alone {fig['network_mean_mm']:.2f} mm" if "network_mean_mm" in fig else ""))
    return lines
