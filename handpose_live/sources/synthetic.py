"""The synthetic camera: an animated procedural hand with exact ground truth, no hardware needed."""
from __future__ import annotations

import numpy as np

from handpose_live.camera import CAMERA_RANGE_MM
from handpose_live.sources.base import FrameSource, Pacer
from handpose_live.synthetic.animation import AnimationSettings, HandAnimation
from handpose_live.types import DepthFrame


class SyntheticCamera(FrameSource):
    """Renders the hand animation frame by frame, at its fps (realtime) or as fast as it can.

    Args:
        settings: what is shown (camera model, resolution, fps, gestures, seed).
        realtime: deliver frames at `settings.fps` like a camera (frames may then be dropped
            downstream); otherwise every frame as soon as it is rendered.
        frames: stop after this many frames (None: run until closed).
    """

    def __init__(self, settings: AnimationSettings = AnimationSettings(), realtime: bool = True,
                 frames: int | None = None):
        self.settings = settings
        self.realtime = realtime
        self.frames = frames
        self.name = f"synthetic camera ({settings.width}x{settings.height} @ {settings.fps:g} fps)"
        self._animation: HandAnimation | None = None
        self._index = 0
        self._truth: dict[int, np.ndarray] = {}
        self._pacer = Pacer()

    @property
    def fps(self) -> float:
        return self.settings.fps

    @property
    def intrinsics(self):
        """The simulated camera's intrinsics."""
        return self._animation.intrinsics if self._animation else HandAnimation(self.settings).intrinsics

    def open(self) -> None:
        self._animation = HandAnimation(self.settings)
        self._index = 0
        self._pacer.reset()

    def read(self) -> DepthFrame | None:
        if self.frames is not None and self._index >= self.frames:
            return None
        i = self._index
        self._index += 1
        t = i / self.settings.fps
        if self.realtime:
            self._pacer.wait(t)
        f = self._animation.frame(i)
        # Keep a short history only: a live app asks for the truth of recent frames.
        self._truth[i] = f.joints_mm
        self._truth.pop(i - 256, None)
        return DepthFrame(f.depth_mm, f.intrinsics, t, i)

    def ground_truth(self, frame_number: int) -> np.ndarray | None:
        return self._truth.get(frame_number)

    @property
    def depth_range_mm(self) -> tuple[float, float] | None:
        """The simulated camera's range."""
        return CAMERA_RANGE_MM[self.settings.camera]

    @property
    def frame_count(self) -> int | None:
        """The frames it renders, when told a number."""
        return self.frames

    def close(self) -> None:
        self._animation = None
