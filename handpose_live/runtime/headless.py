"""The live app without a window: one JSON line per processed frame on stdout."""
from __future__ import annotations

import json
import os
import sys
import time
from typing import IO

from tqdm import tqdm

from handpose_live.runtime import session
from handpose_live.runtime.engine import FrameOutput
from handpose_live.runtime.output import FrameSink, RecordWriter
from handpose_live.runtime.session import LatencyLog, LiveOptions
from handpose_live.sources.base import FrameSource


def run_headless(options: LiveOptions, stdout: IO[str] | None = None, stderr: IO[str] | None = None,
                 sinks: tuple[FrameSink, ...] = ()) -> int:
    """Process the source without a window: one JSON line per frame on stdout (and to each of
    `sinks`); 0, or 1 on a failure."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    session.check_options(options)
    source, estimator = session.open_parts(options)
    writer = RecordWriter(options.output) if options.output is not None else None
    latencies = LatencyLog()
    pipe_closed = False
    bar: tqdm | None = None

    def on_output(out: FrameOutput) -> None:
        nonlocal pipe_closed
        t = time.perf_counter()
        record = out.record(t)
        if writer is not None:
            writer.write(record)
        for sink in sinks:
            sink.publish(out)
        if bar is not None:
            bar.update(1)
        latencies.add(out, t)
        if pipe_closed:
            return
        try:
            stdout.write(json.dumps(record) + "\n")
            stdout.flush()
        except BrokenPipeError:
            # The reader has gone (`| head -1`): the run ends quietly, as Unix tools do.
            pipe_closed = True
            engine.stop()

    engine = session.make_engine(options, source, estimator, on_output)
    session.announce(source, estimator, stderr)
    bar = progress_bar(source, options, stdout, stderr)
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
        if bar is not None:
            bar.close()
        session.close_parts(source, estimator, writer, options, stderr)
    if pipe_closed:
        _detach(stdout)
        return 0
    note = session.recorded_note(engine, options)
    return session.report(engine, time.perf_counter() - t0, latencies, stderr, note=note)


def progress_bar(source: FrameSource, options: LiveOptions, stdout: IO[str], stderr: IO[str]) -> tqdm | None:
    """A progress bar on stderr for a recording replayed with stdout going to a file or a pipe
    (on a terminal the JSON lines are the progress; into a log file a bar would be clutter)."""
    if options.recording is None or _is_terminal(stdout) or not _is_terminal(stderr):
        return None
    total = source.frame_count
    if total is not None and options.start_frame:
        total = max(total - options.start_frame, 0)
    if options.loop:
        total = None
    if options.max_frames is not None:
        total = options.max_frames if total is None else min(total, options.max_frames)
    return tqdm(total=total, desc=source.name, unit="frame", file=stderr)


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return False


def _detach(stdout: IO[str]) -> None:
    """Point a closed pipe's descriptor at /dev/null, so that the flush at exit raises nothing."""
    try:
        fd = stdout.fileno()
    except (OSError, ValueError):
        return  # not a real file (a test's StringIO)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
