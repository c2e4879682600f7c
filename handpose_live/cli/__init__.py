"""Command line of handpose-live: parsing only, one module per command group, each handler one call
into the library. Errors a user can cause (`errors.UserError`) print one sentence and exit with 2."""
from __future__ import annotations

import argparse
import sys

from handpose_live import __version__
from handpose_live.cli import bench, calibrate, evaluate, export, live, synth, train
from handpose_live.cli.common import EXIT_USAGE, UsageError
from handpose_live.errors import UserError

__all__ = ["main", "build_parser", "UsageError"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `handpose-live` command."""
    parser = argparse.ArgumentParser(
        prog="handpose-live",
        description="Real-time 3D hand pose for depth cameras (JGR-P2O on ONNX Runtime). Without a COMMAND it "
        "runs the live app: a camera or recording in, a 21-joint 3D skeleton out, in a window or as JSON "
        "lines (--headless). With no source named it shows the synthetic camera, so it works without hardware.",
        epilog=f"window keys: {live.KEYS}\n\n"
        "examples:\n  handpose-live                                   # synthetic camera, window\n"
        "  handpose-live --camera realsense\n"
        "  handpose-live --bag hand.bag --headless --no-realtime --output joints.jsonl\n"
        "  handpose-live record-synthetic demo.bag --frames 300",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"handpose-live {__version__}")
    live.add_live_arguments(parser)
    parser.set_defaults(func=live.run_live)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    synth.add_parser(sub)
    train.add_parsers(sub)
    train.add_adapt_parser(sub)
    evaluate.add_parser(sub)
    export.add_parsers(sub)
    bench.add_parsers(sub)
    live.add_record_parser(sub)
    calibrate.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `handpose-live` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as e:
        print(f"handpose-live: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("handpose-live: interrupted", file=sys.stderr)
        return 130
