"""The live app in its window: source → estimator → the Qt window; `run_live` picks window or headless."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from handpose_live.runtime.engine import FrameOutput
from handpose_live.runtime.headless import run_headless
from handpose_live.runtime.output import FrameSink, RecordWriter
from handpose_live.runtime.session import (
    AppError,
    LatencyLog,
    LiveOptions,
    announce,
    check_options,
    close_parts,
    make_engine,
    open_parts,
    report,
)


def ensure_runtime_dir() -> None:
    """Give Qt a private XDG_RUNTIME_DIR where the session has none (root shells, Xvfb, ssh), so that
    it does not warn "XDG_RUNTIME_DIR not set" on every start."""
    if os.environ.get("XDG_RUNTIME_DIR"):
        return
    path = Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)  # Qt wants it private, and says so otherwise
        os.environ["XDG_RUNTIME_DIR"] = str(path)


def run_window_app(options: LiveOptions, sinks: tuple[FrameSink, ...] = ()) -> int:
    """Show the live window until the user quits (or the run ends with --screenshot/--max-frames);
    every frame also goes to each of `sinks`."""
    check_options(options)
    try:
        from handpose_live.ui.window import LiveWindow, qt_application
    except ImportError as e:
        raise AppError(f"the window needs PyQt5, pyqtgraph and PyOpenGL ({e}); or run with --headless") from None
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise AppError("no display to open the window on; run inside a desktop session, or use --headless")
    ensure_runtime_dir()
    qt = qt_application()
    source, estimator = open_parts(options)
    announce(source, estimator, sys.stderr)
    writer = RecordWriter(options.output) if options.output is not None else None
    window = LiveWindow(source.name, estimator.provider, calibrating=options.calibrate is not None)
    latencies = LatencyLog()

    def on_output(out: FrameOutput) -> None:
        if writer is not None:
            writer.write(out.record(time.perf_counter()))
        for sink in sinks:
            sink.publish(out)
        window.submit(out)

    if options.gif is not None:
        from handpose_live.ui.gif import GifRecorder

        window.gif = GifRecorder(options.gif)
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
        close_parts(source, estimator, writer, options, sys.stderr)
    gif_error = window.gif.write() if window.gif is not None else None
    note = None if window.gif is None or gif_error else f"wrote {len(window.gif.frames)} frames to {options.gif}"
    return report(engine, time.perf_counter() - t0, latencies, sys.stderr, note=note,
                  error=window.screenshot_error or gif_error)


def run_live(options: LiveOptions, sinks: tuple[FrameSink, ...] = ()) -> int:
    """Run the app as the options say: the window, or headless; each frame also to `sinks`."""
    return run_headless(options, sinks=sinks) if options.headless else run_window_app(options, sinks)
