"""The interface every depth source implements, and its one error type."""
from __future__ import annotations

import collections
import time
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics, live_camera_range_mm
from handpose_live.errors import UserError
from handpose_live.types import DepthFrame


class SourceError(UserError):
    """A source could not be opened or read: the message is one sentence for the user."""


class FrameSource(ABC):
    """A stream of depth frames: open(), read() until None (the end), close(); a context manager.

    `realtime` sources deliver frames at the camera's pace (live cameras, replays in real
    time) and the app may drop frames it cannot keep up with; the others deliver as fast as
    they are read, and every frame is processed.
    """

    name: str = "source"
    realtime: bool = True
    _fps: float | None = None  # set by open() where the stream reports them
    _intrinsics: Intrinsics | None = None

    @abstractmethod
    def open(self) -> None:
        """Start the stream; raises SourceError with a sentence for the user."""

    @abstractmethod
    def read(self) -> DepthFrame | None:
        """The next frame, or None at the end of a recording; raises SourceError on failure."""

    @abstractmethod
    def close(self) -> None:
        """Stop the stream and release the device or file (safe to call twice)."""

    @property
    def fps(self) -> float | None:
        """Nominal frame rate, when the source has one."""
        return self._fps

    @property
    def intrinsics(self) -> Intrinsics | None:
        """The depth stream's intrinsics, once open."""
        return self._intrinsics

    def ground_truth(self, frame_number: int) -> np.ndarray | None:
        """Known joints (21, 3) in camera mm of a frame, for sources that have them."""
        return None

    @property
    def depth_range_mm(self) -> tuple[float, float] | None:
        """Where the camera gives depth (near, far mm), when its model is known."""
        return live_camera_range_mm(self.name)

    @property
    def frame_count(self) -> int | None:
        """Frames in one pass of a recording, once open; None for a live stream or where unknown."""
        return None

    def __enter__(self) -> "FrameSource":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame


class Pacer:
    """Sleeps so that frames leave at their recorded times (real-time replay)."""

    def __init__(self) -> None:
        self._offset: float | None = None

    def wait(self, timestamp_s: float) -> None:
        """Block until `timestamp_s` (the frame's own clock) is due on the wall clock."""
        now = time.perf_counter()
        if self._offset is None:
            self._offset = now - timestamp_s
            return
        delay = timestamp_s + self._offset - now
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.5:
            self._offset = now - timestamp_s  # we fell far behind (paused, debugger): start afresh

    def reset(self) -> None:
        """Forget the clock, e.g. when a recording loops."""
        self._offset = None


def to_depth_counts(depth_mm: np.ndarray) -> np.ndarray:
    """Depth in mm as the uint16 of recordings (1 count = 1 mm; missing, NaN and inf → 0)."""
    depth = np.nan_to_num(depth_mm, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(np.rint(depth), 0, 65535).astype("<u2")


class LoopClock:
    """Keeps frame numbers and times counting on when a recording starts over (--loop)."""

    def __init__(self) -> None:
        self._last: tuple[int, float] | None = None  # number and time of the last frame placed
        self._shift: tuple[int, float] = (0, 0.0)  # added to frame numbers and times

    @property
    def started(self) -> bool:
        """Whether a frame has been placed (a recording with none must not loop forever)."""
        return self._last is not None

    def place(self, frame: DepthFrame, wrapped: bool, fps: float | None) -> DepthFrame:
        """`frame` renumbered; `wrapped` says it is the first of a new pass."""
        if wrapped and self._last is not None:
            # The next pass continues one frame period after the last frame, numbers counting on.
            last_number, last_time = self._last
            self._shift = (last_number + 1 - frame.frame_number,
                           last_time + 1.0 / (fps or 30.0) - frame.timestamp_s)
        frame = DepthFrame(frame.depth_mm, frame.intrinsics, frame.timestamp_s + self._shift[1],
                           frame.frame_number + self._shift[0])
        self._last = (frame.frame_number, frame.timestamp_s)
        return frame


# Frames a replay keeps for stepping back without reading the file from its start again.
RECENT_FRAMES = 30


class Replay(FrameSource):
    """A recording played back: in real time (paced by its timestamps) or as fast as read, and
    optionally in a loop whose frame numbers and times count on; `seek` goes to any frame of the
    file. Subclasses open the file in `_open_file` and give its frames, None at the end, from
    `_next_frame`."""

    suffixes: tuple[str, ...] = ()
    kind: str = "recording"  # for messages: "a RealSense recording"

    def _init_replay(self, path: Path, realtime: bool, loop: bool) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.loop = loop
        self.name = self.path.name
        self._pacer = Pacer()
        self._clock = LoopClock()
        self._read_index = 0  # index in the file of the next frame `_next_frame` gives
        self._position: int | None = None  # index of the frame `read` gave last
        self._recent: collections.deque[tuple[int, DepthFrame]] = collections.deque(maxlen=RECENT_FRAMES)
        self._queued: collections.deque[tuple[int, DepthFrame]] = collections.deque()  # delivered before the file

    @abstractmethod
    def _open_file(self) -> None:
        """Start playing `self.path` (already checked to exist); SourceError if it cannot be."""

    @abstractmethod
    def _next_frame(self) -> DepthFrame | None:
        """The file's next frame, None at its end; SourceError if it fails before its end."""

    @property
    def depth_range_mm(self) -> tuple[float, float] | None:
        """Unknown: a file's name says nothing of the camera that recorded it."""
        return None

    def open(self) -> None:
        if self.path.suffix not in self.suffixes:
            raise SourceError(f"{self.path} is not {self.kind} ({' or '.join(self.suffixes)})")
        if not self.path.is_file():
            raise SourceError(f"recording {self.path} does not exist")
        if self.path.stat().st_size == 0:
            raise SourceError(f"recording {self.path} is empty")
        self._open_file()

    @property
    def position(self) -> int | None:
        """Index in the file (0 = its first frame) of the frame read last; None before any."""
        return self._position

    def read(self) -> DepthFrame | None:
        if self._queued:
            index, frame = self._queued.popleft()
        else:
            frame, index = self._next_frame(), self._read_index
            wrapped = False
            if frame is None:
                if not self.loop or not self._clock.started:
                    return None
                self._restart_file()
                frame, index, wrapped = self._next_frame(), 0, True
                if frame is None:
                    return None
            self._read_index = index + 1
            frame = self._clock.place(frame, wrapped, self.fps)
            self._recent.append((index, frame))
        self._position = index
        if self.realtime:
            self._pacer.wait(frame.timestamp_s)
        return frame

    def _restart_file(self) -> None:
        self.close()
        self.open()
        self._pacer.reset()
        self._read_index = 0

    def seek(self, index: int) -> None:
        """Make frame `index` of the file the next one `read` gives, the same frame every time:
        from the frames kept in memory when it is one of the last RECENT_FRAMES, else by reading
        the file up to it. SourceError past the end."""
        if index < 0:
            raise SourceError(f"there is no frame {index} in {self.path.name}")
        self._pacer.reset()
        kept = [(i, f) for i, f in self._recent if i >= index]
        if kept and kept[0][0] == index:
            self._queued = collections.deque(kept)
            return
        self._queued.clear()
        if index < self._read_index:
            self._restart_file()
            self._clock = LoopClock()
            self._recent.clear()
        while self._read_index < index:
            frame = self._next_frame()
            if frame is None:
                count = self._read_index
                self._restart_file()
                raise SourceError(f"{self.path.name} has {count} frames; there is no frame {index}")
            self._recent.append((self._read_index, self._clock.place(frame, False, self.fps)))
            self._read_index += 1
