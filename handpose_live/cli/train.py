"""`handpose-live train` and `train-refiner`: the pose network and the centre refiner (PyTorch)."""
from __future__ import annotations

import argparse
from pathlib import Path

from handpose_live.cli.common import UsageError, add_command, needs_torch, nonnegative_int, positive_float, positive_int
from handpose_live.training.schedule import SCHEDULES


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every training command has."""
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, log)")
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=nonnegative_int, default=2, help="data-loading processes (default 2)")
    parser.add_argument("--val-count", type=positive_int, default=500, help="validation samples (default 500)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--max-minutes", type=positive_float, default=None, help="stop after this wall time")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint in --out")


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `train` and `train-refiner`."""
    tr = add_command(
        sub, "train", help="train the JGR-P2O pose network",
        description="Train JGR-P2O (Adam, lr × decay per epoch, smooth-L1 joint + offset loss) on synthetic "
        "hands generated on the fly or on 'synth --out' shards. Validates on a fixed synthetic set each "
        "epoch, writes last.pt / best.pt / log.csv in --out, and resumes from last.pt when run again. "
        "Uses CUDA when present. For several GPUs: torchrun --nproc_per_node N -m handpose_live.cli train ...",
        epilog="example:\n  handpose-live train --out runs/jgr --epochs 58 --seed 0\n"
        "  handpose-live export --checkpoint runs/jgr/best.pt          # writes runs/jgr/best.onnx",
        run=run_train,
    )
    _add_run_arguments(tr)
    tr.add_argument("--data", default="synthetic",
                    help="'synthetic' (default), a shard folder, msra:ROOT, icvl:DEPTH_DIR:LABELS or nyu:SPLIT_DIR:LABELS")
    tr.add_argument("--epochs", type=positive_int, default=58, help="epochs (default 58, the paper's)")
    tr.add_argument("--steps-per-epoch", type=positive_int, default=1000, help="batches per synthetic epoch")
    tr.add_argument("--batch-size", type=positive_int, default=32, help="batch size (default 32)")
    tr.add_argument("--lr", type=positive_float, default=1e-4, help="initial learning rate (default 1e-4)")
    tr.add_argument("--lr-decay", type=positive_float, default=0.96, help="learning-rate factor per epoch")
    tr.add_argument("--schedule", choices=SCHEDULES, default="step",
                    help="'step' (default): lr × lr-decay per epoch, the paper's; 'cosine': a short warm-up, "
                    "then a cosine down to 1 %% of lr at the last epoch or at --max-minutes, whichever comes "
                    "first (the most out of a time budget)")
    tr.add_argument("--stacks", type=int, default=2, help="stacked stages, 1-3 (default 2)")
    tr.add_argument("--no-jgr", action="store_true", help="ablation: no graph reasoning (P2O only)")
    tr.add_argument("--no-offset-loss", action="store_true", help="ablation: no dense offset loss")
    tr.add_argument("--no-augment", action="store_true", help="no online rotation/scale/shift augmentation")
    tr.add_argument("--init", type=Path, default=None,
                    help="start from these weights (a .pt of train, or models/jgr_p2o.pt); the network's "
                    "configuration comes from them. A run already in --out resumes instead")

    rf = add_command(
        sub, "train-refiner", help="train the centre-refinement network",
        description="Train the small CNN that moves a detected hand centre onto the middle-finger MCP, on "
        "synthetic full frames with a body, background and distractors; starts are the detector's centres "
        "or perturbed truths. Validates every 1000 steps (centre error before / after one refinement), "
        "writes last.pt and log.csv in --out and resumes from last.pt.",
        epilog="example:\n  handpose-live train-refiner --out runs/refiner --steps 20000\n"
        "  handpose-live export --checkpoint runs/refiner/last.pt      # writes runs/refiner/last.onnx",
        run=run_train_refiner,
    )
    _add_run_arguments(rf)
    rf.add_argument("--steps", type=positive_int, default=20000, help="training steps (default 20000)")
    rf.add_argument("--batch-size", type=positive_int, default=64, help="batch size (default 64)")
    rf.add_argument("--lr", type=positive_float, default=1e-3, help="learning rate, halved every 5000 steps")


def run_train(args: argparse.Namespace) -> int:
    """Train JGR-P2O on synthetic data (on the fly or shards) or a real dataset."""
    from handpose_live.training.datasets import check_training_data

    check_training_data(args.data)
    if args.stacks not in (1, 2, 3):
        raise UsageError(f"--stacks must be 1, 2 or 3, got {args.stacks}")
    try:
        from handpose_live.model.jgr_p2o import JGRP2OConfig
        from handpose_live.training.train import TrainSettings, train
    except ImportError:
        raise needs_torch("training") from None
    model = JGRP2OConfig(num_stacks=args.stacks, use_jgr=not args.no_jgr, offset_loss=not args.no_offset_loss)
    if args.init is not None:
        from handpose_live.training.common import load_trained

        start, _ = load_trained(args.init)  # one sentence for a file that is not a checkpoint
        if not hasattr(start, "offset_targets"):
            raise UsageError(f"--init {args.init} holds a centre refiner, not the pose network")
        asked = {"num_stacks": args.stacks, "use_jgr": not args.no_jgr, "offset_loss": not args.no_offset_loss}
        clash = [k for k, v in asked.items() if getattr(start.cfg, k) != v]
        if clash:
            raise UsageError(f"--init {args.init} has {clash[0]}={getattr(start.cfg, clash[0])}, "
                             f"which the other options contradict")
        model = start.cfg
    try:
        settings = TrainSettings(
            out_dir=str(args.out), model=model, data=args.data, seed=args.seed, epochs=args.epochs,
            steps_per_epoch=args.steps_per_epoch, batch_size=args.batch_size, lr=args.lr, lr_decay=args.lr_decay,
            schedule=args.schedule,
            augment=not args.no_augment, workers=args.workers, val_count=args.val_count, device=args.device,
            max_minutes=args.max_minutes, init=None if args.init is None else str(args.init),
        )
        figures = train(settings, resume=not args.restart)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    if figures:
        print(f"Done: validation mean error {figures['val_mean_mm']:.2f} mm after epoch {figures['epoch']}; "
              f"checkpoints in {args.out}")
    return 0


def run_train_refiner(args: argparse.Namespace) -> int:
    """Train the centre refiner on synthetic full frames."""
    try:
        from handpose_live.training.refiner import RefinerSettings, train_refiner
    except ImportError:
        raise needs_torch("training") from None
    try:
        settings = RefinerSettings(out_dir=str(args.out), seed=args.seed, steps=args.steps,
                                   batch_size=args.batch_size, lr=args.lr, workers=args.workers,
                                   val_count=args.val_count, device=args.device, max_minutes=args.max_minutes)
        figures = train_refiner(settings, resume=not args.restart)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if figures:
        print(f"Done at step {figures['step']}: centre error {figures['val_start_error_mm']:.1f} mm → "
              f"{figures['val_refined_error_mm']:.1f} mm after one refinement; checkpoint in {args.out}")
    return 0
