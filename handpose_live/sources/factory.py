"""Pick a source from the command line's choice."""
from __future__ import annotations

from pathlib import Path

from handpose_live.sources.base import FrameSource, SourceError

CAMERAS = ("synthetic", "realsense", "kinect")


def make_source(camera: str | None = None, recording: Path | None = None, realtime: bool = True,
                loop: bool = False, frames: int | None = None, realsense=None) -> FrameSource:
    """The source named by --camera or --bag (not yet opened); the synthetic camera by default.

    Args:
        frames: for the synthetic camera, how many frames it renders (None: endless).
        realsense: a sources.realsense.RealSenseSettings for a live RealSense (None: its defaults).
    """
    if camera is not None and recording is not None:
        raise SourceError("choose either --camera or --bag, not both")
    if recording is not None and Path(recording).suffix == ".mkv":
        from handpose_live.sources.kinect import KinectRecording

        return KinectRecording(recording, realtime=realtime, loop=loop)
    if recording is not None:
        from handpose_live.sources.realsense import RecordingSource

        return RecordingSource(recording, realtime=realtime, loop=loop)
    camera = camera or "synthetic"
    if camera == "synthetic":
        from handpose_live.sources.synthetic import SyntheticCamera

        return SyntheticCamera(realtime=realtime, frames=frames)
    if camera == "realsense":
        from handpose_live.sources.realsense import RealSenseCamera, RealSenseSettings

        return RealSenseCamera(realsense or RealSenseSettings())
    if camera == "kinect":
        from handpose_live.sources.kinect import KinectCamera

        return KinectCamera()
    raise SourceError(f"unknown camera {camera!r}; choose one of: {', '.join(CAMERAS)}")
