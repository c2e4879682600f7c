"""Intel RealSense through pyrealsense2: a live camera, or a `.bag` / `.db3` recording played back."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.sources.base import FrameSource, Replay, SourceError
from handpose_live.sources.recording_check import check_realsense_recording
from handpose_live.types import DepthFrame

_TIMEOUT_MS = 5000  # a camera or file that sends nothing for this long has failed
_POLL_MS = 50


def import_pyrealsense2():
    """The pyrealsense2 module, or a SourceError that says how to get it."""
    try:
        import pyrealsense2 as rs
    except ImportError as e:
        hint = ("install the Debian package libusb-1.0-0" if "libusb" in str(e)
                else "pip install pyrealsense2 (Python ≤ 3.13 on x86-64 or arm64 Linux, Windows, macOS)")
        raise SourceError(f"RealSense support needs pyrealsense2, which did not load ({e}); {hint}") from None
    return rs


def _intrinsics(profile) -> Intrinsics:
    i = profile.as_video_stream_profile().get_intrinsics()
    return Intrinsics(fx=i.fx, fy=i.fy, cx=i.ppx, cy=i.ppy, width=i.width, height=i.height)


class _RealSenseBase(FrameSource):
    """Shared frame reading of live and recorded RealSense streams."""

    def __init__(self) -> None:
        self._rs = None
        self._pipeline = None
        self._scale_mm = 1.0

    def _started(self, profile) -> None:
        stream = profile.get_stream(self._rs.stream.depth)
        self._intrinsics = _intrinsics(stream)
        self._fps = float(stream.fps())
        self._scale_mm = profile.get_device().first_depth_sensor().get_depth_scale() * 1000.0

    def _to_frame(self, depth) -> DepthFrame:
        counts = np.asanyarray(depth.get_data())
        # One copy, straight to float mm: the frame's buffer goes back to librealsense.
        depth_mm = counts.astype(np.float32) * np.float32(self._scale_mm)
        return DepthFrame(depth_mm, self._intrinsics, depth.get_timestamp() / 1000.0, depth.get_frame_number())

    def close(self) -> None:
        if self._pipeline is not None:
            try:
                self._pipeline.stop()
            except RuntimeError:
                pass  # already stopped, e.g. the device was unplugged
            self._pipeline = None


# The D400 family's visual presets by our name → librealsense's rs400_visual_preset member.
PRESETS = {"default": "default", "hand": "hand", "high-accuracy": "high_accuracy", "high-density": "high_density"}


@dataclass(frozen=True)
class RealSenseSettings:
    """What to ask of a live RealSense (--serial, --size, --fps, --preset)."""

    width: int = 640
    height: int = 480
    fps: int | None = None  # None: the highest rate it offers at that size
    serial: str | None = None  # None: the first camera found
    preset: str | None = None  # one of PRESETS (D400 family); None: as the camera is

    def __post_init__(self) -> None:
        if self.preset is not None and self.preset not in PRESETS:
            raise ValueError(f"unknown preset {self.preset!r}; choose one of: {', '.join(PRESETS)}")

    @staticmethod
    def parse_size(text: str) -> tuple[int, int]:
        """(width, height) from "848x480"; ValueError with one sentence."""
        w, sep, h = text.lower().partition("x")
        if not (sep and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
            raise ValueError(f"--size {text}: expected WIDTHxHEIGHT, e.g. 848x480")
        return int(w), int(h)


class RealSenseCamera(_RealSenseBase):
    """A live RealSense depth stream (default 640×480 at the highest rate the camera offers)."""

    realtime = True

    def __init__(self, settings: RealSenseSettings = RealSenseSettings()):
        super().__init__()
        self.settings = settings
        self.width, self.height, self.requested_fps, self.serial = (settings.width, settings.height, settings.fps,
                                                                    settings.serial)
        self.name = "RealSense"

    def _apply_preset(self, device) -> None:
        """Switch the depth sensor to the asked visual preset, or say the camera has none."""
        rs = self._rs
        sensor = device.first_depth_sensor()
        if not sensor.supports(rs.option.visual_preset):
            raise SourceError(f"this RealSense ({self.name}) has no visual presets; leave out --preset")
        value = getattr(rs.rs400_visual_preset, PRESETS[self.settings.preset])
        try:
            sensor.set_option(rs.option.visual_preset, float(int(value)))
        except RuntimeError as e:
            raise SourceError(f"this RealSense refused the {self.settings.preset} preset ({e})") from None

    def _pick_fps(self, device) -> int:
        """Highest z16 rate at the requested size, or a SourceError listing what the camera has."""
        rs = self._rs
        sizes = {}
        for sensor in device.query_sensors():
            for p in sensor.get_stream_profiles():
                if p.stream_type() == rs.stream.depth and p.format() == rs.format.z16:
                    v = p.as_video_stream_profile()
                    sizes.setdefault((v.width(), v.height()), set()).add(p.fps())
        rates = sizes.get((self.width, self.height))
        if not rates:
            have = ", ".join(f"{w}x{h}" for w, h in sorted(sizes)) or "none"
            raise SourceError(f"this RealSense has no {self.width}x{self.height} depth stream (it has: {have})")
        if self.requested_fps is not None:
            if self.requested_fps not in rates:
                raise SourceError(f"this RealSense offers {self.width}x{self.height} depth at "
                                  f"{', '.join(map(str, sorted(rates)))} fps, not {self.requested_fps}")
            return self.requested_fps
        return max(rates)

    def open(self) -> None:
        rs = self._rs = import_pyrealsense2()
        devices = list(rs.context().query_devices())
        if self.serial is not None:
            devices = [d for d in devices if d.get_info(rs.camera_info.serial_number) == self.serial]
        if not devices:
            which = f" with serial {self.serial}" if self.serial else ""
            raise SourceError(f"no RealSense camera{which} is connected (check the USB cable, or replay a file with --bag)")
        device = devices[0]
        serial = device.get_info(rs.camera_info.serial_number)
        self.name = f"RealSense {device.get_info(rs.camera_info.name).replace('Intel RealSense ', '')}"
        fps = self._pick_fps(device)
        if self.settings.preset is not None:
            self._apply_preset(device)
        config = rs.config()
        config.enable_device(serial)
        config.enable_stream(rs.stream.depth, self.width, self.height, rs.format.z16, fps)
        self._pipeline = rs.pipeline()
        try:
            self._started(self._pipeline.start(config))
        except RuntimeError as e:
            self._pipeline = None
            raise SourceError(f"the RealSense camera could not start streaming ({e})") from None

    def read(self) -> DepthFrame | None:
        try:
            frames = self._pipeline.wait_for_frames(_TIMEOUT_MS)
        except RuntimeError as e:
            raise SourceError(f"the RealSense camera stopped sending frames ({e})") from None
        return self._to_frame(frames.get_depth_frame())


class RecordingSource(_RealSenseBase, Replay):
    """A RealSense recording (.bag ROS1, .db3 ROS2) played by pyrealsense2, optionally looping."""

    suffixes = (".bag", ".db3")
    kind = "a RealSense recording"

    def __init__(self, path: Path, realtime: bool = True, loop: bool = False):
        super().__init__()
        self._init_replay(path, realtime, loop)

    def _open_file(self) -> None:
        self._frame_count = check_realsense_recording(self.path)  # pyrealsense2 may crash on a file it cannot play
        rs = self._rs = import_pyrealsense2()
        config = rs.config()
        # We loop ourselves: librealsense's repeat restarts timestamps and frame numbers silently.
        config.enable_device_from_file(str(self.path), repeat_playback=False)
        pipeline = rs.pipeline()
        try:
            # Real-time replay is paced by us: librealsense's real-time mode drops the frames we
            # are slow to take, so it is switched off on the resolved device before the start
            # (switched off after it, the first frames of a pass still came in real time and
            # one was sometimes lost).
            resolved = config.resolve(rs.pipeline_wrapper(pipeline))
            resolved.get_device().as_playback().set_real_time(False)
            profile = pipeline.start(config)
        except RuntimeError as e:
            raise SourceError(f"{self.path} cannot be played as a RealSense recording ({e})") from None
        try:
            profile.get_stream(rs.stream.depth)
        except RuntimeError:
            pipeline.stop()
            raise SourceError(f"{self.path} holds no depth stream") from None
        self._pipeline = pipeline
        self._playback = profile.get_device().as_playback()
        self._playback.set_real_time(False)
        self._started(profile)

    @property
    def frame_count(self) -> int | None:
        """Depth frames in the file (from its index), once open."""
        return getattr(self, "_frame_count", None)

    def _next_frame(self) -> DepthFrame | None:
        waited_ms = 0
        while waited_ms < _TIMEOUT_MS:
            # Short waits: at the end of the file librealsense only stops, it sends nothing.
            ok, frames = self._pipeline.try_wait_for_frames(_POLL_MS)
            if ok:
                return self._to_frame(frames.get_depth_frame())
            if self._playback.current_status() == self._rs.playback_status.stopped:
                return None
            waited_ms += _POLL_MS
        raise SourceError(f"{self.path} stopped delivering frames before its end")
