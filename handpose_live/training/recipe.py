"""The GPU recipe (`make train-gpu`): on a machine with one GPU and many cores, no network, train
the pose network for a time budget from the shipped weights, with synthetic hands generated on
all cores but two while it trains, then export, quantise and score it on the synthetic test set
beside the shipped model, and write the figures for the model card. It runs on a CPU as well
(tested there with a budget of seconds); it never replaces the shipped model itself.

    python -m handpose_live.training.recipe --minutes 25 --out runs/gpu
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from handpose_live.errors import UserError
from handpose_live.evaluation.metrics import PoseScores, score
from handpose_live.evaluation.predict import predict_mm
from handpose_live.evaluation.testset import TEST_SEED, EvalSet
from handpose_live.model.export import export_onnx
from handpose_live.model.jgr_p2o import JGRP2OConfig
from handpose_live.model.quantize import quantize_int8
from handpose_live.pipeline.shipped import DEFAULT_MODEL, DEFAULT_MODEL_INT8, DEFAULT_WEIGHTS
from handpose_live.training.common import load_trained
from handpose_live.training.schedule import WARMUP
from handpose_live.training.train import BEST, CHECKPOINT, LOG, TrainSettings, train

TIPS = (4, 8, 12, 16, 20)


@dataclass(frozen=True)
class RecipeSettings:
    """One recipe run; the defaults are for a 16-core machine with one GPU."""

    out_dir: str = "runs/gpu"
    minutes: float = 25.0  # training wall time; export, quantisation and scoring come after
    init: str | None = str(DEFAULT_WEIGHTS)  # None: from scratch
    seed: int = 3  # new samples, not those the shipped model saw (seed 0) or the CPU runs (2)
    batch_size: int = 128
    lr: float = 3e-4
    steps_per_epoch: int = 500
    epochs: int = 1000  # at most; the budget normally ends the run first
    workers: int | None = None  # data processes (None: the cores less two)
    test_count: int = 2000
    val_count: int = 500
    device: str = "auto"


def _workers(asked: int | None) -> int:
    return asked if asked is not None else max(1, len(os.sched_getaffinity(0)) - 2)


def _figures(s: PoseScores) -> dict:
    return {"mean_mm": s.mean_mm, "tips_mm": float(s.per_joint_mm[list(TIPS)].mean()),
            "within_20mm": s.success_at(20), "within_40mm": s.success_at(40),
            "per_joint_mm": [float(v) for v in s.per_joint_mm]}


def run_recipe(settings: RecipeSettings, progress: bool = True) -> dict:
    """Train, export, quantise and score; writes figures.json and card.md in `out_dir` and returns the figures."""
    out = Path(settings.out_dir)
    init = settings.init
    if init is not None and (out / CHECKPOINT).exists():
        init = None  # a run already there resumes; --init only starts a new one
    if init is not None:
        start, _ = load_trained(Path(init))
        model_cfg = start.cfg
    else:
        model_cfg = JGRP2OConfig()
    t0 = time.monotonic()
    train_settings = TrainSettings(
        out_dir=str(out), model=model_cfg, seed=settings.seed, epochs=settings.epochs,
        steps_per_epoch=settings.steps_per_epoch, batch_size=settings.batch_size, lr=settings.lr,
        workers=_workers(settings.workers), val_count=settings.val_count, device=settings.device,
        max_minutes=settings.minutes, init=init, schedule="cosine")
    train(train_settings, progress=progress)
    train_minutes = (time.monotonic() - t0) / 60
    best = out / BEST
    if not best.exists():
        raise RuntimeError(f"the budget of {settings.minutes:g} minutes ended before a first validated epoch; "
                           f"give more --minutes or fewer --steps-per-epoch")
    onnx_path, int8_path = out / "best.onnx", out / "best_int8.onnx"
    _, parity = export_onnx(best, onnx_path)
    quantize_int8(onnx_path, int8_path)
    test = EvalSet.synthetic(TEST_SEED, settings.test_count)
    models = {"new fp32": onnx_path, "new int8": int8_path, "shipped fp32": DEFAULT_MODEL,
              "shipped int8": DEFAULT_MODEL_INT8}
    scores = {}
    for name, path in models.items():
        if path.exists():
            pred, _ = predict_mm(path, test, "auto")
            scores[name] = _figures(score(pred, test.joints_mm))
    figures = {"settings": {**settings.__dict__, "workers": train_settings.workers}, "train_minutes": train_minutes,
               "parity_max_abs": parity, "test_frames": settings.test_count, "scores": scores,
               "validation_log": (out / LOG).read_text() if (out / LOG).exists() else "",
               "better_than_shipped": "shipped fp32" in scores and
               scores["new fp32"]["mean_mm"] < scores["shipped fp32"]["mean_mm"]}
    (out / "figures.json").write_text(json.dumps(figures, indent=1))
    (out / "card.md").write_text(card_text(figures, out))
    return figures


def card_text(figures: dict, out: Path) -> str:
    """The model card's section for a recipe run: command, budget, validation log and test figures."""
    s = figures["settings"]
    lines = [f"## GPU recipe run ({out})", "",
             f"    python -m handpose_live.training.recipe --minutes {s['minutes']:g} --out {out}"
             + (f" --init {s['init']}" if s["init"] else " --no-init"), "",
             f"Seed {s['seed']}, batch {s['batch_size']}, lr {s['lr']:g} on a cosine over the budget (after a "
             f"{WARMUP:.0%} warm-up), epochs of {s['steps_per_epoch']} steps, {s['workers']} data processes; trained {figures['train_minutes']:.1f} "
             f"min; ONNX Runtime vs torch {figures['parity_max_abs']:.1e}.", "",
             f"| model ({figures['test_frames']} synthetic test frames) | mean | fingertips | ≤ 20 mm | ≤ 40 mm |",
             "|---|---|---|---|---|"]
    for name, f in figures["scores"].items():
        lines.append(f"| {name} | {f['mean_mm']:.2f} mm | {f['tips_mm']:.1f} mm | {f['within_20mm']:.1%} | "
                     f"{f['within_40mm']:.1%} |")
    lines += ["", "Validation per epoch (log.csv):", "", "```", figures["validation_log"].strip(), "```", ""]
    verdict = ("better than the shipped model: ship it with `handpose-live export --checkpoint "
               f"{out / BEST} --out models/jgr_p2o.onnx --force` and `handpose-live import-onnx --model "
               "models/jgr_p2o.onnx --force`" if figures["better_than_shipped"]
               else "not better than the shipped model")
    return "\n".join(lines + [f"Verdict: {verdict}.", ""])


def main(argv: list[str] | None = None) -> int:
    """Command line of the recipe."""
    d = RecipeSettings()
    p = argparse.ArgumentParser(prog="python -m handpose_live.training.recipe", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=d.out_dir, help=f"run folder (default {d.out_dir})")
    p.add_argument("--minutes", type=float, default=d.minutes, help=f"training budget (default {d.minutes:g})")
    p.add_argument("--init", default=d.init, help="weights to start from (default: the shipped models/jgr_p2o.pt)")
    p.add_argument("--no-init", action="store_true", help="train from scratch")
    p.add_argument("--seed", type=int, default=d.seed, help=f"synthetic data seed (default {d.seed})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"default {d.batch_size}")
    p.add_argument("--lr", type=float, default=d.lr, help=f"initial learning rate (default {d.lr:g})")
    p.add_argument("--steps-per-epoch", type=int, default=d.steps_per_epoch, help=f"default {d.steps_per_epoch}")
    p.add_argument("--epochs", type=int, default=d.epochs,
                   help="at most this many epochs (default: the budget decides)")
    p.add_argument("--workers", type=int, default=None, help="data processes (default: the cores less two)")
    p.add_argument("--test-count", type=int, default=d.test_count, help=f"test frames (default {d.test_count})")
    p.add_argument("--val-count", type=int, default=d.val_count, help=f"validation frames (default {d.val_count})")
    p.add_argument("--device", default=d.device, help="auto (default), cuda or cpu")
    a = p.parse_args(argv)
    if min(a.minutes, a.batch_size, a.steps_per_epoch, a.epochs, a.test_count, a.val_count) <= 0:
        print("recipe: --minutes, --batch-size, --steps-per-epoch, --epochs, --test-count and --val-count must be "
              "positive",
              file=sys.stderr)
        return 2
    settings = RecipeSettings(out_dir=a.out, minutes=a.minutes, init=None if a.no_init else a.init, seed=a.seed,
                              batch_size=a.batch_size, lr=a.lr, steps_per_epoch=a.steps_per_epoch,
                              epochs=a.epochs,
                              workers=a.workers, test_count=a.test_count, val_count=a.val_count, device=a.device)
    try:
        figures = run_recipe(settings)
    except (UserError, ValueError, RuntimeError, OSError) as e:  # a bad --init file, a budget too short
        print(f"recipe: {e}", file=sys.stderr)
        return 2
    new, old = figures["scores"]["new fp32"], figures["scores"].get("shipped fp32")
    print(f"new model {new['mean_mm']:.2f} mm on {figures['test_frames']} test frames"
          + (f" (shipped {old['mean_mm']:.2f} mm)" if old else "") + f"; figures in {a.out}/card.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
