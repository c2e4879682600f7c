"""`handpose-live adapt`: fit-then-distill (SPEC §8, research notes §3). Every frame of the user's own
unlabelled recordings is fitted with a thorough fit (more iterations and a wider finger search than
live); the frames whose fit explains the depth well become training samples, their fitted joints
the labels; the network is fine-tuned on them mixed with synthetic samples, for a time budget, and
exported with metadata naming the recordings, the kept frames and the figures.

A tenth of the kept frames (every tenth) is held out: the network's error against their fitted
joints before and after, and the synthetic test set's before and after, are the figures. The
exported weights are those at the end of the cosine schedule.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from handpose_live.evaluation.testset import TEST_SEED, EvalSet
from handpose_live.fit.fitter import FitSettings
from handpose_live.joints import Joint
from handpose_live.model.export import export_onnx
from handpose_live.pipeline.crop import crop_depth, joints_to_crop, make_crop_box
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.shipped import DEFAULT_WEIGHTS
from handpose_live.sources.factory import make_source
from handpose_live.synthetic.generator import TRAINING_CAMERAS, SynthSettings, generate_samples
from handpose_live.training.common import load_trained
from handpose_live.training.train import CHECKPOINT, TrainSettings, evaluate, train

# The thorough fit: twice the live iterations, a longer search per preset bend.
THOROUGH = FitSettings(iterations=12, search_iterations=5, final_iterations=8)
HOLDOUT_EVERY = 10
MIN_KEPT = HOLDOUT_EVERY + 1  # two held-out frames at least, and the rest to learn from


@dataclass(frozen=True)
class AdaptSettings:
    """One adaptation run."""

    recordings: tuple[str, ...]
    out: str  # the adapted .onnx
    init: str = str(DEFAULT_WEIGHTS)  # the weights to start from
    minutes: float = 10.0  # fine-tuning budget
    max_fit_error_mm: float = 2.0  # a kept frame's fit: median data → model distance at most this
    max_silhouette_px: float = 0.5  # and silhouette error at most this
    synthetic_share: float = 0.5  # of the training samples, synthetic ones (keeps the rest of the world)
    seed: int = 6
    lr: float = 1e-4
    batch_size: int = 32
    workers: int = 1
    run_dir: str | None = None  # checkpoints and data; default: beside `out`, named after it
    model: str | None = None  # the ONNX network that proposes for the fit; None: the shipped one
    hand: str = "auto"
    val_count: int = 200  # synthetic validation frames per epoch
    test_count: int = 500  # synthetic test frames scored before and after
    # An epoch holds at least this many samples: a few kept frames are repeated (each repeat augmented
    # anew) rather than making epochs of one batch, each followed by a validation.
    min_epoch_samples: int = 1600

    def __post_init__(self) -> None:
        if not self.recordings:
            raise ValueError("adapt needs at least one recording")
        if not 0.0 <= self.synthetic_share < 1.0:
            raise ValueError(f"synthetic share must be in [0, 1), got {self.synthetic_share}")


def harvest(settings: AdaptSettings, progress: bool = True) -> tuple[dict[str, np.ndarray], dict[str, list[int]]]:
    """Fit every frame of the recordings; the well-fitted frames' crops and fitted joints as arrays
    (the keys of an .npz shard), and per recording [frames read, frames kept]."""
    model = None if settings.model is None else Path(settings.model)
    est = HandPoseEstimator(EstimatorOptions(model_path=model, fit_settings=replace(THOROUGH, hand=settings.hand)))
    rows: dict[str, list] = {k: [] for k in ("depth", "uvd", "joints_mm", "center_mm", "intrinsics")}
    counts: dict[str, list[int]] = {}
    try:
        for rec in settings.recordings:
            source = make_source(None, Path(rec), realtime=False)
            source.open()
            est.reset()
            read = kept = 0
            try:
                for frame in tqdm(iter(source.read, None), desc=f"fitting {Path(rec).name}", unit="frame",
                                  disable=not progress):
                    read += 1
                    r = est.estimate(frame.depth_mm, frame.intrinsics)
                    good = (r.hand_found and r.fit_error_mm is not None and r.fit_error_mm <= settings.max_fit_error_mm
                            and r.silhouette_error_px <= settings.max_silhouette_px)
                    if not good:
                        continue
                    kept += 1
                    # The crop as training makes it: centred on the (fitted) middle MCP.
                    box = make_crop_box(r.joints_mm[Joint.MIDDLE_MCP], frame.intrinsics, est.cube_mm, est.input_size)
                    it = frame.intrinsics
                    rows["depth"].append(crop_depth(frame.depth_mm, box).astype(np.float16))
                    rows["uvd"].append(joints_to_crop(r.joints_mm, box).astype(np.float32))
                    rows["joints_mm"].append(r.joints_mm.astype(np.float32))
                    rows["center_mm"].append(np.asarray(box.center_mm, np.float32))
                    rows["intrinsics"].append(np.array([it.fx, it.fy, it.cx, it.cy, it.width, it.height], np.float32))
            finally:
                source.close()
            counts[rec] = [read, kept]
    finally:
        est.close()
    n = len(rows["depth"])
    data = {k: np.array(v) if v else np.zeros((0,)) for k, v in rows.items()}
    data["cube_mm"] = np.full(n, est.cube_mm, np.float32)
    return data, counts


def _subset(data: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in data.items()}


def _error_mm(checkpoint: Path, data: EvalSet) -> float:
    model, _ = load_trained(checkpoint)
    scores, _ = evaluate(model, data, torch.device("cpu"))
    return float(scores.mean_mm)


def adapt(settings: AdaptSettings, progress: bool = True) -> dict:
    """Harvest, fine-tune, score and export; returns the figures (also written to run_dir/figures.json)."""
    out = Path(settings.out)
    run = Path(settings.run_dir) if settings.run_dir else out.with_name(out.stem + "_adapt")
    data, counts = harvest(settings, progress)
    n = len(data["cube_mm"])
    if n < MIN_KEPT:
        raise ValueError(f"only {n} frames were fitted well enough to learn from (fit ≤ {settings.max_fit_error_mm} "
                         f"mm, silhouette ≤ {settings.max_silhouette_px} px); record more of the hand, 20-80 cm away")
    held = np.arange(n) % HOLDOUT_EVERY == 0
    holdout = EvalSet(_subset(data, held))
    train_rows = _subset(data, ~held)
    real = int((~held).sum())
    repeats = max(1, math.ceil(settings.min_epoch_samples * (1.0 - settings.synthetic_share) / real))
    train_rows = {k: np.concatenate([v] * repeats) for k, v in train_rows.items()}
    synthetic = int(round(real * repeats * settings.synthetic_share / (1.0 - settings.synthetic_share)))
    folder = run / "data"
    folder.mkdir(parents=True, exist_ok=True)
    keys = ("depth", "uvd", "joints_mm", "center_mm", "cube_mm", "intrinsics")
    np.savez(folder / "shard_00000.npz", **{k: train_rows[k] for k in keys})
    if synthetic:
        syn = generate_samples(settings.seed, 0, synthetic, SynthSettings(cameras=TRAINING_CAMERAS))
        np.savez(folder / "shard_00001.npz", **{k: syn[k] for k in keys})
    test = EvalSet.synthetic(TEST_SEED, settings.test_count)
    init = Path(settings.init)
    before = {"held_out_mm": _error_mm(init, holdout), "synthetic_test_mm": _error_mm(init, test)}
    start, _ = load_trained(Path(settings.init))
    train(TrainSettings(out_dir=str(run), model=start.cfg, data=str(folder), seed=settings.seed, epochs=1000,
                        batch_size=settings.batch_size, lr=settings.lr, workers=settings.workers,
                        val_count=settings.val_count,
                        max_minutes=settings.minutes, init=settings.init, schedule="cosine"), progress=progress)
    # The end of the cosine, not the best synthetic validation: the adaptation is what is wanted.
    final = run / CHECKPOINT
    after = {"held_out_mm": _error_mm(final, holdout), "synthetic_test_mm": _error_mm(final, test)}
    figures = {"recordings": {Path(r).name: {"frames": c[0], "kept": c[1]} for r, c in counts.items()},
               "kept": n, "held_out": int(held.sum()), "repeats": repeats, "synthetic_samples": synthetic,
               "thresholds": {"fit_error_mm": settings.max_fit_error_mm, "silhouette_px": settings.max_silhouette_px},
               "before": before, "after": after, "init": settings.init, "minutes": settings.minutes}
    names = ", ".join(Path(r).name for r in settings.recordings)
    description = (f"adapted from {Path(settings.init).name} on {names}: {n} frames kept (fit ≤ "
                   f"{settings.max_fit_error_mm:g} mm, silhouette ≤ {settings.max_silhouette_px:g} px) with "
                   f"{synthetic} synthetic samples; held-out fitted frames {before['held_out_mm']:.1f} → "
                   f"{after['held_out_mm']:.1f} mm, synthetic test {before['synthetic_test_mm']:.1f} → "
                   f"{after['synthetic_test_mm']:.1f} mm")
    _, parity = export_onnx(final, out, training_data=description)
    figures["parity_max_abs"] = parity
    (run / "figures.json").write_text(json.dumps(figures, indent=1))
    return figures
