"""A live session: the options the app is given, opening its source and estimator, and the
closing summary. Shared by the headless run (runtime/headless.py) and the window (ui/app.py)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from handpose_live.errors import UserError
from handpose_live.files import folder_problem
from handpose_live.fit.fitter import FitSettings
from handpose_live.hand.shape import ShapeFactors
from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.fit import REFINE_EVERY
from handpose_live.pipeline.onnx_model import ModelError
from handpose_live.pipeline.smoothing import Smoothing
from handpose_live.profile import HandProfile, load_profile, save_profile
from handpose_live.runtime.engine import EngineSettings, FrameOutput, LiveEngine
from handpose_live.runtime.output import OUTPUT_SUFFIXES, RecordWriter
from handpose_live.runtime.timing import speed_line
from handpose_live.sources.bag_writer import check_recording_path
from handpose_live.sources.base import FrameSource, SourceError
from handpose_live.sources.factory import make_source
from handpose_live.sources.realsense import RealSenseSettings

CALIBRATE_EVERY = 2  # tracked frames per calibration update in a calibration run


class AppError(UserError):
    """The app cannot start or went wrong: one sentence for the user."""


@dataclass(frozen=True)
class LiveOptions:
    """Everything the live app is told on the command line."""

    camera: str | None = None
    recording: Path | None = None
    realsense: RealSenseSettings = RealSenseSettings()  # --serial, --size, --fps, --preset
    model: Path | None = None  # None: the shipped model (int8 on the CPU, fp32 on a GPU)
    provider: str = "auto"
    headless: bool = False
    output: Path | None = None
    realtime: bool = True
    loop: bool = False
    max_frames: int | None = None
    start_frame: int | None = None  # a replay starts at this frame of the file
    screenshot: Path | None = None
    gif: Path | None = None  # record the window as an animated GIF
    record: Path | None = None
    smoothing: bool = True
    smoothing_filter: Smoothing = Smoothing()  # the One Euro filter's settings (--smoothing)
    threads: int | None = None
    fit: bool = True  # the hand model fitted after the network (--no-fit: the network's joints)
    mirrored: str = "auto"  # the network also on the mirrored crop (pipeline/network.py)
    hand: str = "auto"  # which hand the fit uses: left, right, or auto (decided per new hand)
    profile: Path | None = None  # a calibrated hand (handpose-live calibrate) for the fit; None: the average hand
    refine_profile: bool = False  # go on calibrating from tracked frames and save the result to `profile`
    calibrate: str | None = None  # a calibration run (`calibrate` in the window): the new profile's name


@dataclass
class RunSummary:
    """What a run did, for the closing line."""

    frames: int
    seconds: float
    dropped: int
    stages_ms: dict[str, float]
    latency_ms: float | None
    provider: str
    error: str | None

    def line(self) -> str:
        """One human line: frames, rate, drops, latency, per-stage times."""
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        lat = f" · latency {self.latency_ms:.1f} ms" if self.latency_ms is not None else ""
        return (f"{self.frames} frames in {self.seconds:.1f} s ({fps:.1f} fps, {self.provider}), "
                f"{self.dropped} dropped{lat} · {speed_line(self.stages_ms)}")


def check_options(options: LiveOptions) -> None:
    """Reject bad paths before anything starts (raises AppError)."""
    if options.output is not None:
        if options.output.suffix not in OUTPUT_SUFFIXES:
            raise AppError(f"--output must end in .jsonl or .csv, got {options.output}")
        if problem := folder_problem(options.output.parent):
            raise AppError(f"--output {options.output}: {problem}")
    for flag, path, suffix in (("--screenshot", options.screenshot, ".png"), ("--gif", options.gif, ".gif")):
        if path is None:
            continue
        if options.headless:
            raise AppError(f"{flag} needs the window; leave out --headless")
        if path.suffix.lower() != suffix:
            raise AppError(f"{flag} must name a {suffix} file, got {path}")
        if problem := folder_problem(path.parent):
            raise AppError(f"{flag} {path}: {problem}")
    if options.gif is not None:
        try:
            import PIL  # noqa: F401 - only whether it is there
        except ImportError:
            raise AppError("--gif needs Pillow (pip install pillow)") from None
    if options.record is not None:
        try:
            check_recording_path(options.record)
        except SourceError as e:
            raise AppError(f"--record: {e}") from None
    if options.start_frame is not None and options.recording is None:
        raise AppError("--start-frame is for a recording: add --bag FILE")
    if options.refine_profile and options.profile is None:
        raise AppError("--refine-profile needs --profile FILE: the profile to refine and save")
    if options.model is not None and not options.model.is_file():
        raise AppError(f"model file {options.model} does not exist")


def open_parts(options: LiveOptions) -> tuple[FrameSource, HandPoseEstimator]:
    """The opened source and the estimator, or AppError with the reason."""
    if options.calibrate is not None:  # a new profile, from the average hand
        profile = HandProfile(options.calibrate, ShapeFactors(), source="")
    else:
        profile = load_profile(options.profile) if options.profile is not None else None  # one sentence if bad
    try:
        estimator = HandPoseEstimator(EstimatorOptions(model_path=options.model, provider=options.provider,
                                                       threads=options.threads, fit=options.fit,
                                                       mirrored=options.mirrored,
                                                       fit_settings=FitSettings(hand=options.hand), profile=profile,
                                                       refine_profile=options.refine_profile,
                                                       refine_every=CALIBRATE_EVERY if options.calibrate else
                                                       REFINE_EVERY))
    except ModelError as e:
        raise AppError(str(e)) from None
    try:
        source = make_source(options.camera, options.recording, options.realtime, options.loop,
                             realsense=options.realsense)
        source.open()
    except SourceError as e:
        estimator.close()
        raise AppError(str(e)) from None
    if options.start_frame:
        try:
            source.seek(options.start_frame)
        except SourceError as e:
            source.close()
            estimator.close()
            raise AppError(f"--start-frame: {e}") from None
    return source, estimator


def make_engine(options: LiveOptions, source: FrameSource, estimator: HandPoseEstimator, on_output) -> LiveEngine:
    """The engine for these options, recording from the first frame when --record is given."""
    engine = LiveEngine(source, estimator, on_output, EngineSettings(smoothing=options.smoothing,
                                                                    filter=options.smoothing_filter,
                                                                    max_frames=options.max_frames))
    if options.record is not None:
        engine.start_recording(options.record)
    return engine


def announce(source: FrameSource, estimator: HandPoseEstimator, stderr: IO[str]) -> None:
    """The run's first lines: what runs on what, and any note (a provider fallback, a stale int8 copy)."""
    print(f"handpose-live: {source.name} → {estimator.model.path.name} on {estimator.provider}", file=stderr)
    if estimator.options.profile is not None:
        print(f"handpose-live: fitting the hand of profile '{estimator.options.profile.name}'", file=stderr)
    for note in estimator.notes:
        print(f"handpose-live: note: {note}", file=stderr)


def recorded_note(engine: LiveEngine, options: LiveOptions) -> str | None:
    """The closing line about --record: the frames really written, never those only captured."""
    if options.record is None:
        return None
    if engine.frames_recorded == 0:
        return f"nothing was recorded to {options.record}"
    return f"recorded {engine.frames_recorded} frames to {options.record}"


class LatencyLog:
    """Capture→display latencies of a run (ms)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def add(self, output: FrameOutput, t_display: float) -> None:
        """Record one displayed frame."""
        self.values.append((t_display - output.t_capture) * 1000.0)

    def median(self) -> float | None:
        """Median latency, None before any frame."""
        return float(np.median(self.values)) if self.values else None


def summarize(engine: LiveEngine, seconds: float, latencies: LatencyLog) -> RunSummary:
    """The summary of a finished run."""
    return RunSummary(engine.frames_processed, seconds, engine.dropped, engine.stages.median(),
                      latencies.median(), engine.estimator.provider, engine.error)


def close_parts(source: FrameSource, estimator: HandPoseEstimator, writer: RecordWriter | None,
                options: LiveOptions | None = None, stderr: IO[str] | None = None) -> None:
    """Release what a run opened (the engine has already finished any recording); with
    --refine-profile, save the refined profile over the one loaded."""
    source.close()
    if writer is not None:
        writer.close()
    refined = estimator.refined_profile
    estimator.close()
    if options is not None and options.refine_profile and refined is not None:
        save_profile(refined, options.profile)
        print(f"handpose-live: profile '{refined.name}' refined from {refined.frames} frames in all, saved to "
              f"{options.profile}", file=stderr)


def report(engine: LiveEngine, seconds: float, latencies: LatencyLog, stderr: IO[str], note: str | None = None,
            error: str | None = None) -> int:
    """Print the run's summary line (and `note`), then its first error; the exit status (0 or 1)."""
    summary = summarize(engine, seconds, latencies)
    print(f"handpose-live: {summary.line()}", file=stderr)
    if note:
        print(f"handpose-live: {note}", file=stderr)
    error = error or summary.error
    if error:
        print(f"handpose-live: error: {error}", file=stderr)
        return 1
    return 0
