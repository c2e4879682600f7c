"""`handpose-live train` and `train-refiner`: the pose network and the centre refiner (PyTorch)."""
from __future__ import annotations

import argparse
from pathlib import Path

from handpose_live.camera import KNOWN_CAMERAS
from handpose_live.cli.common import UsageError, add_command, needs_torch, nonnegative_int, positive_float, positive_int
from handpose_live.files import folder_problem
from handpose_live.synthetic.generator import TRAINING_CAMERAS
from handpose_live.training.schedule import SCHEDULES


def camera_list(text: str) -> tuple[str, ...]:
    """A comma-separated list of known synthetic camera names."""
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in KNOWN_CAMERAS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"unknown camera {unknown[0] if unknown else text!r}; "
                                         f"known: {', '.join(KNOWN_CAMERAS)}")
    return names


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments every training command has."""
    parser.add_argument("--out", type=Path, required=True, help="run folder (checkpoints, log)")
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=nonnegative_int, default=2, help="data-loading processes (default 2)")
    parser.add_argument("--val-count", type=positive_int, default=500, help="validation samples (default 500)")
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--max-minutes", type=positive_float, default=None, help="stop after this wall time")
    parser.add_argument("--restart", action="store_true", help="ignore an existing checkpoint in --out")
    parser.add_argument("--cameras", type=camera_list, default=TRAINING_CAMERAS, metavar="NAME,...",
                        help="synthetic cameras to train on (default: all eight common ones; validation always "
                        f"uses the test set's four); known: {', '.join(KNOWN_CAMERAS)}")


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
        "or perturbed truths. Validates and checkpoints every 500 steps (centre error before / after one refinement), "
        "writes last.pt and log.csv in --out and resumes from last.pt.",
        epilog="example:\n  handpose-live train-refiner --out runs/refiner --steps 20000\n"
        "  handpose-live export --checkpoint runs/refiner/last.pt      # writes runs/refiner/last.onnx",
        run=run_train_refiner,
    )
    _add_run_arguments(rf)
    rf.add_argument("--steps", type=positive_int, default=20000, help="training steps (default 20000)")
    rf.add_argument("--batch-size", type=positive_int, default=64, help="batch size (default 64)")
    rf.add_argument("--lr", type=positive_float, default=1e-3, help="peak learning rate (default 1e-3)")
    rf.add_argument("--schedule", choices=SCHEDULES, default="cosine",
                    help="cosine: warm-up, then a cosine over --steps or --max-minutes, whichever ends sooner "
                    "(default); step: halved every 5000 steps")
    rf.add_argument("--init", type=Path, default=None,
                    help="start from this refiner checkpoint (a last.pt of train-refiner, or models/com_refiner.pt); "
                    "a run already in --out resumes instead")
    rf.add_argument("--coarse", action="store_true",
                    help="the coarse refiner (models/com_coarse.onnx): a 600 mm crop, started where the detector "
                    "landed up to 450 mm from the hand (on a forearm), to bring the centre within the fine "
                    "refiner's reach")


def add_adapt_parser(sub: argparse._SubParsersAction) -> None:
    """Register `adapt`."""
    d = {"minutes": 10.0, "fit": 2.0, "sil": 0.5, "share": 0.5}
    p = add_command(
        sub, "adapt", help="fine-tune the network on your own recordings (fit-then-distill)",
        description="Fit every frame of your recordings with a thorough model fit, keep the frames whose fit "
        "explains the depth well (--max-fit-mm, --max-silhouette-px), and fine-tune the network on them mixed "
        "with synthetic samples for --minutes (a cosine schedule; CUDA when present). A tenth of the kept frames "
        "is held out: the error against their fitted joints and the synthetic test set's, before and after, are "
        "printed and written into the exported model's metadata. Needs PyTorch.",
        epilog="example:\n  handpose-live record-synthetic mine.bag --frames 600      # or --record from a camera\n"
        "  handpose-live adapt mine.bag --out models/my_model.onnx --minutes 10\n"
        "  handpose-live --camera realsense --model models/my_model.onnx",
        run=run_adapt)
    p.add_argument("recordings", type=Path, nargs="+", help="RealSense .bag/.db3 or Azure Kinect .mkv files")
    p.add_argument("--out", type=Path, required=True, help="the adapted .onnx to write")
    p.add_argument("--minutes", type=positive_float, default=d["minutes"], help="fine-tuning budget (default 10)")
    p.add_argument("--init", type=Path, default=None, help="weights to start from (default: models/jgr_p2o.pt)")
    p.add_argument("--model", type=Path, default=None, help="the .onnx whose joints start the fits (default: shipped)")
    p.add_argument("--max-fit-mm", type=positive_float, default=d["fit"],
                   help="keep frames whose fit error is at most this (default 2.0 mm)")
    p.add_argument("--max-silhouette-px", type=positive_float, default=d["sil"],
                   help="and whose silhouette error is at most this (default 0.5 px)")
    p.add_argument("--synthetic-share", type=float, default=d["share"],
                   help="share of synthetic samples in the training mix, 0-0.95 (default 0.5)")
    p.add_argument("--hand", choices=("auto", "left", "right"), default="auto", help="the hand recorded (default auto)")
    p.add_argument("--workers", type=nonnegative_int, default=1, help="data-loading processes (default 1)")
    p.add_argument("--force", action="store_true", help="replace an existing --out")


def run_adapt(args: argparse.Namespace) -> int:
    """Harvest, fine-tune, export."""
    missing = [str(r) for r in args.recordings if not r.is_file()]
    if missing:
        raise UsageError(f"recording {missing[0]} does not exist")
    if args.out.suffix != ".onnx":
        raise UsageError(f"--out must name an .onnx file, got {args.out}")
    if args.out.exists() and not args.force:
        raise UsageError(f"{args.out} exists; add --force to replace it")
    if problem := folder_problem(args.out.parent):
        raise UsageError(f"--out {args.out}: {problem}")
    if not 0.0 <= args.synthetic_share <= 0.95:
        raise UsageError(f"--synthetic-share must be between 0 and 0.95, got {args.synthetic_share}")
    try:
        from handpose_live.pipeline.shipped import DEFAULT_WEIGHTS
        from handpose_live.training.adapt import AdaptSettings, adapt
    except ImportError:
        raise needs_torch("adapt") from None
    settings = AdaptSettings(recordings=tuple(str(r) for r in args.recordings), out=str(args.out),
                             init=str(args.init or DEFAULT_WEIGHTS), minutes=args.minutes,
                             max_fit_error_mm=args.max_fit_mm, max_silhouette_px=args.max_silhouette_px,
                             synthetic_share=args.synthetic_share, workers=args.workers,
                             model=None if args.model is None else str(args.model), hand=args.hand)
    try:
        f = adapt(settings)
    except ValueError as e:
        raise UsageError(str(e)) from None
    kept = ", ".join(f"{n}: {v['kept']} of {v['frames']}" for n, v in f["recordings"].items())
    print(f"frames kept ({kept}); held out {f['held_out']}; error on them {f['before']['held_out_mm']:.2f} → "
          f"{f['after']['held_out_mm']:.2f} mm, synthetic test {f['before']['synthetic_test_mm']:.2f} → "
          f"{f['after']['synthetic_test_mm']:.2f} mm; wrote {args.out}")
    return 0


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
            max_minutes=args.max_minutes, init=None if args.init is None else str(args.init), cameras=args.cameras,
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
        from handpose_live.model.com_refiner import ComRefinerConfig
        from handpose_live.synthetic.refiner_data import COARSE_CUBE_MM, COARSE_STARTS, StartSettings
        from handpose_live.training.refiner import RefinerSettings, train_refiner
    except ImportError:
        raise needs_torch("training") from None
    model = ComRefinerConfig(cube_mm=COARSE_CUBE_MM) if args.coarse else ComRefinerConfig()
    try:
        settings = RefinerSettings(out_dir=str(args.out), model=model, seed=args.seed, steps=args.steps,
                                   batch_size=args.batch_size, lr=args.lr, workers=args.workers,
                                   val_count=args.val_count, device=args.device, max_minutes=args.max_minutes,
                                   schedule=args.schedule, init=None if args.init is None else str(args.init),
                                   cameras=args.cameras, starts=COARSE_STARTS if args.coarse else StartSettings())
        figures = train_refiner(settings, resume=not args.restart)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if figures:
        print(f"Done at step {figures['step']}: centre error {figures['val_start_error_mm']:.1f} mm → "
              f"{figures['val_refined_error_mm']:.1f} mm after one refinement; checkpoint in {args.out}")
    return 0
