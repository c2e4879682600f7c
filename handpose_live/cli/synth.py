"""`handpose-live synth`: synthetic training shards, a preview sheet, or the engine's throughput."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from handpose_live.cli.common import UsageError, add_command, nonnegative_int, positive_int

PREVIEW_COUNT = 16
BENCHMARK_COUNT = 1000


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `synth`."""
    p = add_command(
        sub, "synth", help="render synthetic depth hands: training shards and/or a preview sheet",
        description="Render procedural depth hands with exact 21-joint ground truth. "
        "--out writes sharded .npz training data (deterministic for a seed, resumable); "
        "--preview writes a contact sheet with the skeletons drawn.",
        epilog="examples:\n  handpose-live synth --count 100000 --out data/synth --seed 0\n"
        "  handpose-live synth --preview preview.png --count 16\n"
        "  handpose-live synth --benchmark --width 640 --height 480",
        run=run,
    )
    p.add_argument("--count", type=positive_int, default=None,
                   help=f"samples to write (with --out), frames to show (--preview, default {PREVIEW_COUNT}) "
                   f"or to time (--benchmark, default {BENCHMARK_COUNT})")
    p.add_argument("--out", type=Path, help="folder for the .npz shards and manifest.json")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=positive_int, default=None, help="processes (default: all cores)")
    p.add_argument("--shard-size", type=positive_int, default=500, help="samples per shard (default 500)")
    p.add_argument("--preview", type=Path, help="write a contact sheet PNG of the first frames")
    p.add_argument("--benchmark", action="store_true", help="measure renders/s and samples/s, write nothing")
    p.add_argument("--width", type=positive_int, default=320, help="rendered frame width (default 320)")
    p.add_argument("--height", type=positive_int, default=240, help="rendered frame height (default 240)")


def run(args: argparse.Namespace) -> int:
    """Write shards and/or a preview, or print the throughput."""
    from handpose_live.synthetic.generator import TRAINING_CAMERAS, SynthSettings

    if not args.benchmark and args.out is None and args.preview is None:
        raise UsageError("synth needs --out DIR (training shards), --preview FILE.png (contact sheet) or --benchmark")
    if args.out is not None and args.count is None:
        raise UsageError("synth --out needs --count N, the number of samples to write (example: --count 100000)")
    if args.preview is not None and args.preview.suffix.lower() != ".png":
        raise UsageError(f"--preview must name a .png file, got {args.preview}")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a folder")
    try:
        settings = SynthSettings(width=args.width, height=args.height, cameras=TRAINING_CAMERAS)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.benchmark:
        from handpose_live.synthetic.benchmark import benchmark_lines

        for line in benchmark_lines(settings, args.count or BENCHMARK_COUNT, args.workers or os.cpu_count() or 1,
                                    args.seed):
            print(line, flush=True)
        return 0
    if args.out is not None:
        from handpose_live.synthetic.shards import write_shards

        paths = write_shards(args.out, args.count, args.seed, args.workers, args.shard_size, settings)
        print(f"Wrote {args.count} samples in {len(paths)} shards to {args.out}")
    if args.preview is not None:
        from handpose_live.synthetic.preview import write_preview

        count = PREVIEW_COUNT if args.count is None else min(args.count, 64 if args.out is not None else args.count)
        try:
            write_preview(args.preview, count, args.seed, settings)
        except (ValueError, OSError) as e:
            raise UsageError(str(e)) from None
        print(f"Wrote a preview of {count} synthetic frames to {args.preview}")
    return 0
