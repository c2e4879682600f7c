"""`handpose-live bench` and `soak`: speed per stage and provider, and a long looped replay."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from handpose_live.cli.common import (
    PROVIDERS,
    UsageError,
    add_command,
    needs_torch,
    nonnegative_int,
    positive_float,
    positive_int,
)
from handpose_live.files import folder_problem


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `bench` and `soak`."""
    be = add_command(
        sub, "bench", help="time the whole pipeline on a replay and the pose network alone, per provider",
        description="Replay a recording (--bag, or a synthetic 640x480 one made for the run) through the live "
        "pipeline as fast as possible: per-stage median and 95th percentile ms and frames/s after warm-up. Then "
        "the model alone at batch 1 and 32, and torch eager for the same weights with --checkpoint.",
        epilog="examples:\n  handpose-live bench --json bench.json\n"
        "  handpose-live bench --provider cuda --provider cpu --checkpoint runs/jgr/best.pt --json bench.json\n"
        "  handpose-live bench --bag my_hand.bag --frames 1000",
        run=run_bench,
    )
    be.add_argument("--model", type=Path, default=None,
                    help="pose network .onnx (default: the shipped one, int8 on the CPU, fp32 on a GPU)")
    be.add_argument("--bag", type=Path, help="recording to replay (.bag, .db3 or .mkv; default: a synthetic one)")
    be.add_argument("--frames", type=positive_int, default=300, help="timed pipeline frames (default 300)")
    be.add_argument("--warmup", type=nonnegative_int, default=30, help="untimed pipeline frames first (default 30)")
    be.add_argument("--model-only", action="store_true", help="skip the pipeline, time the network alone")
    be.add_argument("--checkpoint", type=Path, help="the same weights as a .pt, to time torch eager too")
    be.add_argument("--provider", action="append", choices=PROVIDERS,
                    help="ONNX Runtime provider (repeatable; default auto)")
    be.add_argument("--threads", type=positive_int, default=None,
                    help="ONNX Runtime intra-op threads (default: the cores, at most 4; they spin-wait only where 2 cores are left over)")
    be.add_argument("--torch-device", default="cpu", help="device for torch eager (default cpu)")
    be.add_argument("--runs", type=positive_int, default=50, help="timed runs per case (default 50)")
    be.add_argument("--json", type=Path, help="also write the figures as JSON")

    so = add_command(
        sub, "soak", help="replay a recording in a loop for many frames: memory must stay flat, no frame lost",
        description="Record a synthetic 640x480 recording (or take --bag), replay it in a loop headless as fast "
        "as possible for --frames frames, write every result to --output, and sample resident memory. Fails "
        "(exit 1) when memory grows more than --max-growth after warm-up or a frame is missing from the file.",
        epilog="example:\n  handpose-live soak --frames 20000 --output soak.jsonl   (what `make soak` runs)",
        run=run_soak,
    )
    so.add_argument("--frames", type=positive_int, default=20000, help="frames to process (default 20000)")
    so.add_argument("--output", type=Path, default=Path("soak.jsonl"), help="the .jsonl of results (default soak.jsonl)")
    so.add_argument("--bag", type=Path, help="recording to loop (default: a synthetic one)")
    so.add_argument("--model", type=Path, default=None, help="pose network .onnx (default: the shipped one)")
    so.add_argument("--provider", choices=PROVIDERS, default="auto")
    so.add_argument("--warmup", type=positive_int, default=1000, help="frames before memory is compared (default 1000)")
    so.add_argument("--every", type=positive_int, default=1000, help="sample memory every N frames (default 1000)")
    so.add_argument("--max-growth", type=positive_float, default=0.05, help="allowed growth (default 0.05 = 5%%)")


def run_bench(args: argparse.Namespace) -> int:
    """Time and print; write --json."""
    from handpose_live.evaluation.bench import BenchSettings
    from handpose_live.evaluation.bench import run_bench as bench

    if args.model is not None and not args.model.is_file():
        raise UsageError(f"model file {args.model} does not exist")
    if args.json is not None and (problem := folder_problem(args.json.parent)):
        raise UsageError(f"--json {args.json}: {problem}")
    settings = BenchSettings(model=args.model, bag=args.bag, frames=args.frames, warmup=args.warmup,
                             model_only=args.model_only, checkpoint=args.checkpoint,
                             providers=tuple(args.provider or ["auto"]), threads=args.threads,
                             torch_device=args.torch_device, runs=args.runs)
    try:
        results = bench(settings)
    except ImportError:
        if args.checkpoint is None:
            raise
        raise needs_torch("--checkpoint") from None
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"\nWrote {args.json}")
    return 0


def run_soak(args: argparse.Namespace) -> int:
    """Soak and print the verdict; 1 when memory grew or a frame was lost."""
    from handpose_live.evaluation.soak import run_soak as soak
    from handpose_live.pipeline.estimator import EstimatorOptions

    if args.model is not None and not args.model.is_file():
        raise UsageError(f"model file {args.model} does not exist")
    result = soak(args.bag, EstimatorOptions(model_path=args.model, provider=args.provider), args.frames,
                  args.output, args.warmup, args.every)
    print("\n".join(result.lines(args.output, args.max_growth)))
    failures = result.failures(args.frames, args.max_growth)
    for f in failures:
        print(f"handpose-live: soak failed: {f}", file=sys.stderr)
    return 1 if failures else 0
