"""Command line of handpose-live: one subcommand per job.

Input errors print one sentence and exit with status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handpose_live import __version__

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input from the user: reported as one sentence, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r} (example: 1000)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {value} (example: 1000)")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r} (example: 0)") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {value} (example: 0)")
    return value


def _cmd_synth(args: argparse.Namespace) -> int:
    """Write synthetic training shards and/or a preview contact sheet."""
    from handpose_live.synthetic.generator import SynthSettings

    if args.benchmark:
        return _synth_benchmark(args)
    if args.out is None and args.preview is None:
        raise UsageError(
            "synth needs --out DIR (training shards), --preview FILE.png (contact sheet) or --benchmark"
        )
    if args.preview is not None and args.preview.suffix.lower() != ".png":
        raise UsageError(f"--preview must name a .png file, got {args.preview}")
    try:
        settings = SynthSettings(width=args.width, height=args.height)
    except ValueError as e:
        raise UsageError(str(e)) from None
    if args.out is not None:
        from handpose_live.synthetic.shards import ShardError, write_shards

        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out {args.out} exists and is not a folder")
        try:
            paths = write_shards(args.out, args.count, args.seed, args.workers, args.shard_size, settings)
        except ShardError as e:
            raise UsageError(str(e)) from None
        print(f"Wrote {args.count} samples in {len(paths)} shards to {args.out}")
    if args.preview is not None:
        _write_preview(args.preview, min(args.count, 64) if args.out is not None else args.count, args.seed, settings)
    return 0


def _synth_benchmark(args: argparse.Namespace) -> int:
    """Print the generator's throughput at the requested resolution."""
    import os

    from handpose_live.synthetic.benchmark import full_frame_rate, renders_per_second, samples_per_second
    from handpose_live.synthetic.generator import SynthSettings

    try:
        settings = SynthSettings(width=args.width, height=args.height)
    except ValueError as e:
        raise UsageError(str(e)) from None
    workers = args.workers or os.cpu_count() or 1
    n = args.count if args.count != 16 else 1000
    print(f"synthetic engine at {args.width}x{args.height}:")
    print(f"  ray casts (hand + forearm, no noise), 1 core: {renders_per_second(settings):8.1f} /s")
    print(f"  full frames with crop (scene + sensor), 1 core: {full_frame_rate(settings):6.1f} /s")
    one = samples_per_second(settings, n, 1, args.seed)
    print(f"  training samples, 1 process: {one:8.1f} /s")
    if workers > 1:
        many = samples_per_second(settings, n * workers, workers, args.seed)
        print(f"  training samples, {workers} processes: {many:8.1f} /s")
    return 0


def _write_preview(path: Path, count: int, seed: int, settings) -> None:
    import cv2

    from handpose_live.synthetic.generator import make_sample, render_frame, sample_rng
    from handpose_live.synthetic.preview import contact_sheet, frame_tile

    if count > 256:
        raise UsageError(f"a preview shows at most 256 frames, asked for {count}")
    tiles = []
    for k in range(count):
        rng = sample_rng(seed, k)
        frame = render_frame(rng, settings)
        tiles.append(frame_tile(frame, make_sample(frame, rng, settings)))
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), contact_sheet(tiles)):
        raise UsageError(f"could not write {path}")
    print(f"Wrote a preview of {count} synthetic frames to {path}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `handpose-live` command."""
    parser = argparse.ArgumentParser(
        prog="handpose-live",
        description="Real-time 3D hand pose for depth cameras. The live app is not built yet; "
        "available now: the synthetic depth-hand engine (`handpose-live synth`).",
    )
    parser.add_argument("--version", action="version", version=f"handpose-live {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    synth = sub.add_parser(
        "synth",
        help="render synthetic depth hands: training shards and/or a preview sheet",
        description="Render procedural depth hands with exact 21-joint ground truth. "
        "--out writes sharded .npz training data (deterministic for a seed, resumable); "
        "--preview writes a contact sheet with the skeletons drawn.",
        epilog="examples:\n  handpose-live synth --count 100000 --out data/synth --seed 0\n"
        "  handpose-live synth --preview preview.png --count 16\n"
        "  handpose-live synth --benchmark --width 640 --height 480",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument("--count", type=_positive_int, default=16, help="number of samples (default 16)")
    synth.add_argument("--out", type=Path, help="folder for the .npz shards and manifest.json")
    synth.add_argument("--seed", type=_nonnegative_int, default=0, help="random seed (default 0)")
    synth.add_argument("--workers", type=_positive_int, default=None, help="processes (default: all cores)")
    synth.add_argument("--shard-size", type=_positive_int, default=500, help="samples per shard (default 500)")
    synth.add_argument("--preview", type=Path, help="write a contact sheet PNG of the first frames")
    synth.add_argument("--benchmark", action="store_true", help="measure renders/s and samples/s, write nothing")
    synth.add_argument("--width", type=_positive_int, default=320, help="rendered frame width (default 320)")
    synth.add_argument("--height", type=_positive_int, default=240, help="rendered frame height (default 240)")
    synth.set_defaults(func=_cmd_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `handpose-live` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except UsageError as e:
        print(f"handpose-live: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("handpose-live: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
