"""The live application: source → estimator → window or JSON lines, with recording and output files.

`run_live` is what `handpose-live` (with no subcommand) calls; the window lives in `ui/`
and is imported only when shown, so headless runs need no Qt.
"""
from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from handpose_live.pipeline.estimator import EstimatorOptions, HandPoseEstimator
from handpose_live.pipeline.onnx_model import ModelError
from handpose_live.runtime.engine import EngineSettings, FrameOutput, LiveEngine
from handpose_live.runtime.output import OUTPUT_SUFFIXES, RecordWriter
from handpose_live.runtime.timing import speed_line
from handpose_live.sources.bag_writer import check_recording_path
from handpose_live.sources.base import FrameSource, SourceError
from handpose_live.sources.factory import make_source


class AppError(Exception):
    """The app cannot start or went wrong: one sentence for the user."""


@dataclass(frozen=True)
class LiveOptions:
    """Everything the live app is told on the command line."""

    camera: str | None = None
    recording: Path | None = None
    model: Path | None = None  # None: the shipped model (int8 on the CPU, fp32 on a GPU)
    provider: str = "auto"
    headless: bool = False
    output: Path | None = None
    realtime: bool = True
    loop: bool = False
    max_frames: int | None = None
    screenshot: Path | None = None
    record: Path | None = None
    smoothing: bool = True
    threads: int | None = None


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
        if not options.output.parent.is_dir():
            raise AppError(f"the folder of --output {options.output} does not exist")
    if options.screenshot is not None:
        if options.headless:
            raise AppError("--screenshot needs the window; leave out --headless")
        if options.screenshot.suffix.lower() != ".png":
            raise AppError(f"--screenshot must name a .png file, got {options.screenshot}")
        if not options.screenshot.parent.is_dir():
            raise AppError(f"the folder of --screenshot {options.screenshot} does not exist")
    if options.record is not None:
        try:
            check_recording_path(options.record)
        except SourceError as e:
            raise AppError(f"--record: {e}") from None
    if options.model is not None and not options.model.is_file():
        raise AppError(f"model file {options.model} does not exist")


def open_parts(options: LiveOptions) -> tuple[FrameSource, HandPoseEstimator]:
    """The opened source and the estimator, or AppError with the reason."""
    try:
        estimator = HandPoseEstimator(EstimatorOptions(model_path=options.model, provider=options.provider,
                                                       threads=options.threads))
    except ModelError as e:
        raise AppError(str(e)) from None
    try:
        source = make_source(options.camera, options.recording, options.realtime, options.loop)
        source.open()
    except SourceError as e:
        estimator.close()
        raise AppError(str(e)) from None
    return source, estimator


def make_engine(options: LiveOptions, source: FrameSource, estimator: HandPoseEstimator, on_output) -> LiveEngine:
    """The engine for these options, recording from the first frame when --record is given."""
    engine = LiveEngine(source, estimator, on_output, EngineSettings(smoothing=options.smoothing,
                                                                    max_frames=options.max_frames))
    if options.record is not None:
        engine.start_recording(options.record)
    return engine


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


def _close(source: FrameSource, estimator: HandPoseEstimator, writer: RecordWriter | None) -> None:
    """Release what a run opened (the engine has already finished any recording)."""
    source.close()
    if writer is not None:
        writer.close()
    estimator.close()


def _report(engine: LiveEngine, seconds: float, latencies: LatencyLog, stderr: IO[str], note: str | None = None,
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


def run_headless(options: LiveOptions, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Process the source without a window: one JSON line per frame on stdout; 0, or 1 on a failure."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    check_options(options)
    source, estimator = open_parts(options)
    writer = RecordWriter(options.output) if options.output is not None else None
    latencies = LatencyLog()

    def on_output(out: FrameOutput) -> None:
        t = time.perf_counter()
        record = out.record(t)
        stdout.write(json.dumps(record) + "\n")
        stdout.flush()
        if writer is not None:
            writer.write(record)
        latencies.add(out, t)

    engine = make_engine(options, source, estimator, on_output)
    print(f"handpose-live: {source.name} → {estimator.model.path.name} on {estimator.provider}", file=stderr)
    t0 = time.perf_counter()
    engine.start()
    try:
        while not engine.join(timeout=0.2):
            pass
    except KeyboardInterrupt:
        print("handpose-live: interrupted; finishing the files", file=stderr)
        engine.stop()
        engine.join()
    finally:
        _close(source, estimator, writer)
    recorded = f"recorded {engine.frames_captured} frames to {options.record}" if options.record else None
    return _report(engine, time.perf_counter() - t0, latencies, stderr, note=recorded)


def run_window_app(options: LiveOptions) -> int:
    """Show the live window until the user quits (or the run ends with --screenshot/--max-frames)."""
    check_options(options)
    try:
        from handpose_live.ui.window import LiveWindow, qt_application
    except ImportError as e:
        raise AppError(f"the window needs PyQt5, pyqtgraph and PyOpenGL ({e}); or run with --headless") from None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise AppError("no display to open the window on; run inside a desktop session, or use --headless")
    qt = qt_application()
    source, estimator = open_parts(options)
    writer = RecordWriter(options.output) if options.output is not None else None
    window = LiveWindow(source.name, estimator.provider)
    latencies = LatencyLog()

    def on_output(out: FrameOutput) -> None:
        if writer is not None:
            writer.write(out.record(time.perf_counter()))
        window.submit(out)

    engine = make_engine(options, source, estimator, on_output)
    window.attach(engine, latencies, quit_at_end=options.screenshot is not None or options.max_frames is not None,
                  screenshot=options.screenshot)
    window.show()
    t0 = time.perf_counter()
    engine.start()
    try:
        qt.exec_()
    finally:
        engine.stop()
        engine.join(timeout=5.0)
        _close(source, estimator, writer)
    return _report(engine, time.perf_counter() - t0, latencies, sys.stderr, error=window.screenshot_error)


def run_live(options: LiveOptions) -> int:
    """Run the app as the options say: the window, or headless."""
    return run_headless(options) if options.headless else run_window_app(options)
