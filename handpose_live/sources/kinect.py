"""Azure Kinect / Orbbec Femto depth: a live camera, or an `.mkv` recording played back, and
`.mkv` writing for synthetic recordings.

pyk4a-bundle needs numpy < 2 (../shared/DEPENDENCY-NOTES.md), so it runs in a helper process
(`k4a_helper.py`) under the interpreter of `.venv-kinect` (`make kinect`) and sends frames over
a pipe; this side never imports pyk4a.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.sources import k4a_helper
from handpose_live.sources.base import FrameSource, Replay, SourceError, to_depth_counts
from handpose_live.types import DepthFrame

PYTHON_ENV = "HANDPOSE_KINECT_PYTHON"
_HELPER = Path(k4a_helper.__file__).resolve()
_VENV = Path(__file__).resolve().parents[2] / ".venv-kinect"  # beside the checkout (`make kinect`)


def kinect_python() -> str:
    """The interpreter that has pyk4a-bundle, or a SourceError that says how to set it up."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        if not Path(configured).is_file():
            raise SourceError(f"{PYTHON_ENV} names {configured}, which does not exist")
        return configured
    venv_python = _VENV / "bin" / "python"
    if venv_python.is_file():
        return str(venv_python)
    if importlib.util.find_spec("pyk4a") is not None:
        return sys.executable
    raise SourceError("Kinect support needs pyk4a-bundle, which needs numpy < 2: run `make kinect` to set up "
                      f".venv-kinect (or set {PYTHON_ENV} to a Python that has it)")


class _Helper:
    """One run of k4a_helper.py with its pipes; stderr is kept for the error sentence."""

    def __init__(self, args: list[str], stdin: bool = False):
        self._stderr: list[bytes] = []
        try:
            self.proc = subprocess.Popen([kinect_python(), str(_HELPER), *args],
                                         stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            raise SourceError(f"the Kinect helper could not start ({e})") from None
        # Drain stderr in the background so a chatty libk4a can never block the helper.
        self._reader = threading.Thread(target=lambda: self._stderr.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def error(self, fallback: str) -> SourceError:
        """The helper's own sentence (after it exits), or `fallback`."""
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._reader.join(timeout=1)
        self.stop()  # the helper is gone: release its pipes too
        lines = [ln.strip() for ln in b"".join(self._stderr).decode(errors="replace").splitlines() if ln.strip()]
        return SourceError(lines[-1] if self.proc.returncode == 2 and lines else fallback)

    def stop(self) -> None:
        """End the helper (closing its pipes first, so a live stream stops on a broken pipe)."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class _KinectStream(FrameSource):
    """Frames from a helper process, whatever it reads."""

    def __init__(self) -> None:
        self._helper: _Helper | None = None
        self._size = (0, 0)

    def _helper_args(self) -> list[str]:
        raise NotImplementedError

    def _start(self, failure: str) -> None:
        self._helper = _Helper(["stream", *self._helper_args()])
        try:
            header = k4a_helper.read_header(self._helper.proc.stdout)
        except k4a_helper.HelperError:
            helper, self._helper = self._helper, None
            raise helper.error(failure) from None
        self.name = header["name"]
        self._size = (header["width"], header["height"])
        self._fps = header["fps"]
        self._intrinsics = Intrinsics(header["fx"], header["fy"], header["cx"], header["cy"], *self._size)

    def _next(self, failure: str) -> DepthFrame | None:
        """The helper's next frame, None at its end mark; SourceError if it died."""
        try:
            item = k4a_helper.read_frame(self._helper.proc.stdout, *self._size)
        except EOFError:
            raise self._helper.error(failure) from None
        if item is None:
            return None
        number, timestamp_us, counts = item
        return DepthFrame(counts.astype(np.float32), self._intrinsics, timestamp_us / 1e6, number)

    def close(self) -> None:
        if self._helper is not None:
            self._helper.stop()
            self._helper = None


class KinectCamera(_KinectStream):
    """A live Azure Kinect / Orbbec Femto: NFOV unbinned depth (640×576) at 30 fps."""

    realtime = True

    def __init__(self, device_index: int = 0):
        super().__init__()
        self.device_index = device_index
        self.name = "Azure Kinect"

    def _helper_args(self) -> list[str]:
        return ["--device", str(self.device_index)]

    def open(self) -> None:
        self._start("the Kinect could not be opened")

    def read(self) -> DepthFrame | None:
        frame = self._next("the Kinect stopped sending frames")
        if frame is None:
            raise SourceError("the Kinect stream ended")
        return frame


class KinectRecording(_KinectStream, Replay):
    """An Azure Kinect `.mkv` recording's depth track, in real time or as fast as read, optionally looping."""

    suffixes = (".mkv",)
    kind = "an Azure Kinect recording"

    def __init__(self, path: Path, realtime: bool = True, loop: bool = False):
        super().__init__()
        self._init_replay(path, realtime, loop)

    def _helper_args(self) -> list[str]:
        return ["--mkv", str(self.path)]

    def _open_file(self) -> None:
        self._start(f"{self.path} cannot be played as an Azure Kinect recording")

    def _next_frame(self) -> DepthFrame | None:
        return self._next(f"{self.path} stopped delivering frames before its end")


class MkvWriter:
    """Writes depth frames to an Azure Kinect `.mkv` (640×576, 5/15/30 fps) through the helper;
    `close()` finishes the file. Use it as a context manager."""

    def __init__(self, path: Path, intrinsics: Intrinsics, fps: float, name: str = "handpose-live"):
        self.path = Path(path)
        if self.path.suffix != ".mkv":
            raise SourceError(f"Kinect recordings are written as .mkv files, got {self.path}")
        if self.path.exists():
            raise SourceError(f"{self.path} already exists; choose another name or remove it first")
        self.intrinsics = intrinsics
        self.frames_written = 0
        self._helper = _Helper(["write", str(self.path)], stdin=True)
        header = {"name": name, "width": intrinsics.width, "height": intrinsics.height, "fx": intrinsics.fx,
                  "fy": intrinsics.fy, "cx": intrinsics.cx, "cy": intrinsics.cy, "fps": fps}
        self._send(lambda pipe: k4a_helper.write_header(pipe, header))

    def _send(self, write) -> None:
        try:
            write(self._helper.proc.stdin)
        except (BrokenPipeError, OSError):
            helper, self._helper = self._helper, None
            raise helper.error(f"{self.path} could not be written") from None

    def write(self, frame: DepthFrame) -> None:
        """Append one frame."""
        if self._helper is None:
            raise SourceError(f"recording {self.path} is already closed")
        if frame.intrinsics != self.intrinsics:
            raise SourceError("a recording holds one camera; this frame's intrinsics differ from the first")
        timestamp_us = int(round(frame.timestamp_s * 1e6))
        self._send(lambda pipe: k4a_helper.write_frame(pipe, frame.frame_number, timestamp_us,
                                                       to_depth_counts(frame.depth_mm)))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the file (safe to call twice); SourceError if the helper failed."""
        if self._helper is None:
            return
        helper, self._helper = self._helper, None
        try:
            k4a_helper.write_end(helper.proc.stdin)
            helper.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        if helper.proc.wait() != 0:
            raise helper.error(f"{self.path} could not be written")  # which also releases its pipes
        helper.stop()

    def __enter__(self) -> "MkvWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
