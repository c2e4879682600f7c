"""The live app's options (`handpose-live` with no command) and `record-synthetic`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from handpose_live.cli.common import PROVIDERS, UsageError, add_command, nonnegative_int, positive_float, positive_int
from handpose_live.pipeline.network import MIRRORED
from handpose_live.sources.factory import CAMERAS
from handpose_live.sources.realsense import PRESETS, RealSenseSettings
from handpose_live.ui.overlay import KEY_HELP

KEYS = KEY_HELP  # the window's key help, for --help: one list of keys (overlay.py needs no Qt)


def add_live_arguments(parser: argparse.ArgumentParser) -> None:
    """The top-level options, which run the live app."""
    live = parser.add_argument_group("live app (when no COMMAND is given)")
    live.add_argument("--camera", choices=CAMERAS,
                      help="live source (default: synthetic, an animated hand with known joints; kinect needs "
                      "`make kinect`)")
    live.add_argument("--serial", help="with --camera realsense: the camera with this serial number (default: the "
                      "first one found)")
    live.add_argument("--size", metavar="WxH", help="with --camera realsense: the depth stream's size, e.g. 848x480 "
                      "(default 640x480)")
    live.add_argument("--fps", type=positive_int, help="with --camera realsense: the depth rate, e.g. 90 (default: "
                      "the highest it offers at that size)")
    live.add_argument("--preset", choices=tuple(PRESETS), help="with --camera realsense (D400 family): the visual "
                      "preset; 'hand' suits a hand held close, 'high-accuracy' drops doubtful depth, 'high-density' "
                      "keeps more of it (default: as the camera is)")
    live.add_argument("--bag", type=Path, help="replay a recording instead of a camera: RealSense .bag or .db3, "
                      "or Azure Kinect .mkv")
    live.add_argument("--model", type=Path, default=None,
                      help="pose network .onnx (default: models/jgr_p2o_int8.onnx on the CPU, jgr_p2o.onnx on a GPU)")
    live.add_argument("--provider", choices=PROVIDERS, default="auto",
                      help="ONNX Runtime provider (default auto: TensorRT, CUDA, then CPU)")
    live.add_argument("--threads", type=positive_int, default=None,
                      help="ONNX Runtime intra-op threads (default: the cores, at most 4; they spin-wait only where 2 cores are left over)")
    live.add_argument("--headless", action="store_true",
                      help="no window: one JSON line per frame on stdout (frame, timestamp_ms, hand_found, "
                      "joints_mm, latency_ms, confidence, fit_error_mm, handedness)")
    live.add_argument("--output", type=Path, help="also write the per-frame results to a .jsonl or .csv file")
    live.add_argument("--no-realtime", action="store_true",
                      help="read recordings (and the synthetic camera) as fast as possible, every frame processed")
    live.add_argument("--loop", action="store_true", help="replay --bag in a loop")
    live.add_argument("--start-frame", type=nonnegative_int, metavar="N",
                      help="start the replay at frame N of the file (0 = its first); in the window, paused (space), "
                      "the left and right arrow keys step one frame back and forth")
    live.add_argument("--max-frames", type=positive_int, help="stop after this many processed frames")
    live.add_argument("--screenshot", type=Path, help="save the window as a PNG when the run ends")
    live.add_argument("--gif", type=Path, help="record the window as an animated GIF (10 fps, 640 px wide, the first "
                      "30 s), written when the window closes")
    live.add_argument("--record", type=Path, help="record the depth stream to this .bag while running")
    live.add_argument("--no-smoothing", action="store_true", help="show raw joints (no One Euro filter)")
    live.add_argument("--smoothing", metavar="MIN_CUTOFF,BETA", default="1.5,0.01",
                      help="the One Euro filter: cutoff at rest in Hz (lower: steadier, more lag) and beta (higher: "
                      "less lag in fast moves); default 1.5,0.01. Keys [ ] and - = change them live")
    live.add_argument("--mirrored", choices=MIRRORED, default="auto",
                      help="also run the network on the mirrored crop and average the two (0.86 mm better; default "
                      "auto: on a GPU, not on the CPU, where it costs 4-7 ms a frame)")
    live.add_argument("--no-fit", action="store_true",
                      help="start without the hand-model fit: the network's joints (key m switches it live)")
    live.add_argument("--hand", choices=("auto", "left", "right"), default="auto",
                      help="the hand in front of the camera (default auto: the fit tries both for a new hand)")
    live.add_argument("--profile", type=Path, default=None,
                      help="fit your calibrated hand (a profile from `handpose-live calibrate`, e.g. "
                      "~/.config/handpose-live/profile.json) instead of the average hand")
    live.add_argument("--stream", action="append", default=[], metavar="URL",
                      help="also send every frame's joints to other programs (repeatable): udp://HOST:PORT sends one "
                      "JSON datagram per frame there; ws://HOST:PORT serves them over WebSocket to any number of "
                      "clients; osc://HOST:PORT sends Open Sound Control messages (/handpose/joints …). A missing "
                      "host is 127.0.0.1 (this machine only): other machines can connect only if you name the "
                      "address to bind, e.g. ws://0.0.0.0:8765. The messages are in the README")
    live.add_argument("--web", metavar="[HOST:]PORT",
                      help="serve the browser viewer (the live 3D skeleton, FPS and latency) at http://HOST:PORT/; "
                      "HOST defaults to 127.0.0.1 (this machine only); it reads the first ws:// --stream, or one of "
                      "its own")
    live.add_argument("--refine-profile", action="store_true",
                      help="with --profile: go on calibrating from tracked frames while running and save the "
                      "refined profile back to that file at the end")


def run_live(args: argparse.Namespace) -> int:
    """The live app: a camera, recording or the synthetic camera → the window or JSON lines (and streams)."""
    from handpose_live.pipeline.smoothing import Smoothing
    from handpose_live.runtime.session import AppError, LiveOptions, check_options
    from handpose_live.stream.targets import open_streams, parse_target, parse_web
    from handpose_live.stream.websocket import StreamError
    from handpose_live.ui.app import run_live as run

    try:
        targets = tuple(parse_target(t) for t in args.stream)
        web = None if args.web is None else parse_web(args.web)
        smoothing = Smoothing.parse(args.smoothing)
        realsense = realsense_settings(args)
    except ValueError as e:
        raise UsageError(str(e)) from None
    options = LiveOptions(
        camera=args.camera, recording=args.bag, realsense=realsense, model=args.model, provider=args.provider,
        headless=args.headless, output=args.output, realtime=not args.no_realtime, loop=args.loop,
        max_frames=args.max_frames, start_frame=args.start_frame, screenshot=args.screenshot, gif=args.gif,
        record=args.record, smoothing=not args.no_smoothing, smoothing_filter=smoothing, threads=args.threads,
        fit=not args.no_fit, mirrored=args.mirrored, hand=args.hand, profile=args.profile,
        refine_profile=args.refine_profile)
    check_options(options)  # bad paths are reported before any server starts listening
    try:
        streams = open_streams(targets, web)
    except StreamError as e:
        raise AppError(str(e)) from None
    for line in streams.lines:
        print(f"handpose-live: {line}", file=sys.stderr)
    try:
        return run(options, tuple(streams.sinks))
    finally:
        streams.close()


def realsense_settings(args: argparse.Namespace) -> RealSenseSettings:
    """The live RealSense's settings from --serial, --size, --fps, --preset; ValueError if they are
    given for another source."""
    asked = [f"--{k}" for k in ("serial", "size", "fps", "preset") if getattr(args, k) is not None]
    if asked and args.camera != "realsense":
        raise ValueError(f"{asked[0]} is for a live RealSense: add --camera realsense")
    width, height = RealSenseSettings.parse_size(args.size) if args.size else (640, 480)
    return RealSenseSettings(width, height, args.fps, args.serial, args.preset)


def add_record_parser(sub: argparse._SubParsersAction) -> None:
    """Register `record-synthetic`."""
    p = add_command(
        sub, "record-synthetic", help="record the synthetic camera to a .bag or .mkv, with ground-truth joints beside it",
        description="Render the synthetic camera's animated hand (a person raising a hand through gestures) "
        "and write it as a RealSense-compatible ROS1 .bag (LZ4-compressed, as RealSense Viewer writes), or as an "
        "Azure Kinect .mkv (640x576 NFOV depth, 5/15/30 fps; needs `make kinect`), that --bag replays, plus "
        "OUT.gt.jsonl (e.g. demo.bag.gt.jsonl) with the true joints of every frame (the same keys as --output).",
        epilog="example:\n  handpose-live record-synthetic demo.bag --frames 300\n"
        "  handpose-live --bag demo.bag --headless --no-realtime --output demo.jsonl",
        run=run_record_synthetic,
    )
    p.add_argument("out", type=Path, metavar="OUT.bag|OUT.mkv", help="the recording to write")
    p.add_argument("--frames", type=positive_int, required=True, help="frames to record")
    p.add_argument("--fps", type=positive_float, default=30.0, help="frame rate (default 30)")
    p.add_argument("--width", type=positive_int, help="image width (default 640)")
    p.add_argument("--height", type=positive_int, help="image height (default 480; a .mkv is always 640x576)")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="hand shape and sensor noise (default 0)")
    p.add_argument("--distance", type=positive_float, metavar="MM",
                   help="the hand's mean distance from the camera (default 430 mm, 650 for a .mkv; the network "
                   "was trained on 200-800 mm in front of the camera)")


def run_record_synthetic(args: argparse.Namespace) -> int:
    """Record the synthetic camera with its ground truth beside it."""
    from handpose_live.runtime.recordings import truth_path, write_synthetic_recording

    default_height = 576 if args.out.suffix == ".mkv" else 480
    size = None if args.width is None and args.height is None else (args.width or 640, args.height or default_height)
    settings = write_synthetic_recording(args.out, args.frames, args.fps, args.seed, size, distance_mm=args.distance)
    mb = args.out.stat().st_size / 1e6
    print(f"Wrote {args.frames} frames ({settings.width}x{settings.height} at {args.fps:g} fps, {mb:.1f} MB) to "
          f"{args.out} and their ground-truth joints to {truth_path(args.out)}")
    return 0
