"""`handpose-live calibrate`: measure the user's hand and save it as a profile."""
from __future__ import annotations

import argparse
from pathlib import Path

from handpose_live.cli.common import PROVIDERS, add_command, positive_int
from handpose_live.sources.factory import CAMERAS


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `calibrate`."""
    p = add_command(
        sub, "calibrate", help="measure your hand (its size, palm width, finger lengths) and save it as a profile",
        description="Hold one hand 20-80 cm from the camera and follow the prompts (an open hand, a fist, "
        "fingers spread, in turn). Every frame the model fit explains well adds to the estimate of the hand's "
        "scale, palm width and five finger lengths; the fit switches to the shape found so far as it goes. "
        "The window's panel shows the prompt and each factor's progress (close it to save); --headless puts "
        "them on stderr and stops when every factor is known. At most --frames frames. The profile is saved to "
        "the user's config folder ($XDG_CONFIG_HOME or ~/.config, handpose-live/profile.json) or to --profile; "
        "the live app loads it with --profile.",
        epilog="example:\n  handpose-live calibrate --camera realsense\n"
        "  handpose-live calibrate --bag my_hand.bag --profile alice.json --name alice\n"
        "  handpose-live --camera realsense --profile alice.json",
        run=run_calibrate)
    p.add_argument("--camera", choices=CAMERAS, help="live source (default: the synthetic camera)")
    p.add_argument("--bag", type=Path, help="calibrate on a recording instead (.bag, .db3 or .mkv)")
    p.add_argument("--profile", type=Path, default=None,
                   help="profile file to write (default: handpose-live/profile.json in the user's config folder)")
    p.add_argument("--name", default="my hand", help="the profile's name, shown in the window (default 'my hand')")
    p.add_argument("--frames", type=positive_int, default=600, help="at most this many frames (default 600)")
    p.add_argument("--model", type=Path, default=None, help="pose network .onnx (default: the shipped one)")
    p.add_argument("--provider", choices=PROVIDERS, default="auto", help="ONNX Runtime provider (default auto)")
    p.add_argument("--hand", choices=("auto", "left", "right"), default="auto", help="the hand shown (default auto)")
    p.add_argument("--no-realtime", action="store_true", help="read a recording as fast as possible")
    p.add_argument("--headless", action="store_true",
                   help="no window: the prompts and each factor's progress on stderr (stops when all are known)")


def run_calibrate(args: argparse.Namespace) -> int:
    """Calibrate and save the profile: in the live window (its panel prompts), or headless."""
    if args.headless:
        from handpose_live.runtime.calibration import CalibrateOptions, run_calibration

        return run_calibration(CalibrateOptions(camera=args.camera, recording=args.bag, model=args.model,
                                                provider=args.provider, profile=args.profile, name=args.name,
                                                max_frames=args.frames, realtime=not args.no_realtime,
                                                hand=args.hand))
    from handpose_live.profile import default_profile_path
    from handpose_live.runtime.session import LiveOptions
    from handpose_live.ui.app import run_live

    return run_live(LiveOptions(camera=args.camera, recording=args.bag, model=args.model, provider=args.provider,
                                realtime=not args.no_realtime, max_frames=args.frames, hand=args.hand,
                                profile=args.profile or default_profile_path(), refine_profile=True,
                                calibrate=args.name))
