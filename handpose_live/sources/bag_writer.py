"""Record depth frames to a RealSense-compatible ROS1 `.bag` that pyrealsense2 plays back.

librealsense 2.59 only writes ROS2 `.db3`, but still reads the ROS1 `.bag` of RealSense
Viewer; we write that layout (file version 4) with rosbags, in LZ4-compressed chunks like
RealSense Viewer (about 7x smaller; BZ2 crashes librealsense). rosbags' own LZ4 chunks do not
play: librealsense's bundled roslz4 reads only the LZ4 frames ROS1 writes (see _roslz4_compress).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.files import folder_problem
from handpose_live.sources.base import SourceError, to_depth_counts
from handpose_live.types import DepthFrame

DEPTH_UNIT_M = 0.001  # one count = 1 mm, so uint16 holds 0-65.5 m
_STATIC_NS = 1  # ROS time 0 is invalid to librealsense's reader; static messages come first
_STREAM = "/device_0/sensor_0/Depth_0"
_STREAM_INFO_MSG = "uint32 fps\nstring encoding\nbool is_recommended\n"


def _roslz4_compress(data: bytes) -> bytes:
    """One chunk as the LZ4 frame ROS1's roslz4 writes, the only kind librealsense decompresses.

    roslz4 refuses (ROSLZ4_DATA_ERROR, "malformed data") a frame that stores the content size
    or links its blocks, or lacks the content checksum: python-lz4's defaults, which rosbags
    uses. Blocks of 1 MB, as ROS1 writes them.
    """
    import lz4.frame  # a dependency of rosbags

    return lz4.frame.compress(data, block_size=lz4.frame.BLOCKSIZE_MAX1MB, block_linked=False,
                              content_checksum=True, store_size=False)


def check_recording_path(path: Path) -> None:
    """Raise SourceError unless `path` is a new .bag in an existing folder (nothing is overwritten)."""
    path = Path(path)
    if path.suffix != ".bag":
        raise SourceError(f"recordings are written as .bag files, got {path}")
    if path.exists():
        raise SourceError(f"{path} already exists; choose another name or remove it first")
    problem = folder_problem(path.parent)
    if problem:
        raise SourceError(problem)


def _ns(seconds: float) -> int:
    return int(round(seconds * 1e9))


class BagWriter:
    """Writes one depth stream; frames go in as they come, `close()` finishes the file.

    The file is complete (indexed, playable) only after close(); use it as a context manager
    so that an exception or Ctrl+C still closes it.
    """

    def __init__(self, path: Path, intrinsics: Intrinsics, fps: float, device_name: str = "handpose-live"):
        try:
            from rosbags.rosbag1 import Writer
            from rosbags.typesys import Stores, get_types_from_msg, get_typestore
        except ImportError:
            raise SourceError("recording .bag files needs the rosbags package (pip install rosbags)") from None
        self.path = Path(path)
        check_recording_path(self.path)
        self.intrinsics = intrinsics
        self.fps = fps
        self.frames_written = 0
        self._t0: float | None = None
        self._last_ns = _STATIC_NS
        self._ts = get_typestore(Stores.ROS1_NOETIC)
        self._ts.register(get_types_from_msg(_STREAM_INFO_MSG, "realsense_msgs/msg/StreamInfo"))
        self._writer = Writer(self.path)
        self._writer.set_compression(Writer.CompressionFormat.LZ4)  # names the chunks "lz4"
        self._writer.compressor = _roslz4_compress  # replaces rosbags' LZ4, which roslz4 refuses
        try:
            self._writer.open()
        except Exception as e:  # noqa: BLE001 - rosbags' WriterError or an OSError: one sentence either way
            self._writer = None
            raise SourceError(f"{self.path} cannot be written ({e})") from None
        self._conns: dict[str, object] = {}
        self._write_static(device_name)

    def _put(self, topic: str, msgtype: str, msg, t_ns: int) -> None:
        if topic not in self._conns:
            self._conns[topic] = self._writer.add_connection(topic, msgtype, typestore=self._ts)
        self._writer.write(self._conns[topic], t_ns, self._ts.serialize_ros1(msg, msgtype))

    def _key_value(self, topic: str, key: str, value: str) -> None:
        kv = self._ts.types["diagnostic_msgs/msg/KeyValue"]
        self._put(topic, "diagnostic_msgs/msg/KeyValue", kv(key=key, value=value), _STATIC_NS)

    def _header(self, seq: int, t_ns: int):
        t = self._ts.types
        stamp = t["builtin_interfaces/msg/Time"](sec=t_ns // 10**9, nanosec=t_ns % 10**9)
        return t["std_msgs/msg/Header"](seq=seq, stamp=stamp, frame_id="0")

    def _write_static(self, device_name: str) -> None:
        t = self._ts.types
        i = self.intrinsics
        self._put("/file_version", "std_msgs/msg/UInt32", t["std_msgs/msg/UInt32"](data=4), _STATIC_NS)
        self._key_value("/device_0/info", "Name", device_name)
        self._key_value("/device_0/info", "Serial Number", "0")
        self._key_value("/device_0/sensor_0/info", "Name", "Depth Sensor")
        self._put("/device_0/sensor_0/option/Depth_Units/value", "std_msgs/msg/Float32",
                  t["std_msgs/msg/Float32"](data=DEPTH_UNIT_M), _STATIC_NS)
        self._put("/device_0/sensor_0/option/Depth_Units/description", "std_msgs/msg/String",
                  t["std_msgs/msg/String"](data="Number of meters represented by a single depth unit"), _STATIC_NS)
        self._put(f"{_STREAM}/info", "realsense_msgs/msg/StreamInfo",
                  t["realsense_msgs/msg/StreamInfo"](fps=int(round(self.fps)), encoding="mono16",
                                                     is_recommended=True), _STATIC_NS)
        k = np.array([i.fx, 0, i.cx, 0, i.fy, i.cy, 0, 0, 1], dtype=np.float64)
        p = np.array([i.fx, 0, i.cx, 0, 0, i.fy, i.cy, 0, 0, 0, 1, 0], dtype=np.float64)
        roi = t["sensor_msgs/msg/RegionOfInterest"](x_offset=0, y_offset=0, height=0, width=0, do_rectify=False)
        info = t["sensor_msgs/msg/CameraInfo"](
            header=self._header(0, 0), height=i.height, width=i.width, distortion_model="Brown Conrady",
            D=np.zeros(5), K=k, R=np.eye(3).ravel(), P=p, binning_x=0, binning_y=0, roi=roi)
        self._put(f"{_STREAM}/info/camera_info", "sensor_msgs/msg/CameraInfo", info, _STATIC_NS)
        tf = t["geometry_msgs/msg/Transform"](
            translation=t["geometry_msgs/msg/Vector3"](x=0.0, y=0.0, z=0.0),
            rotation=t["geometry_msgs/msg/Quaternion"](x=0.0, y=0.0, z=0.0, w=1.0))
        self._put(f"{_STREAM}/tf/0", "geometry_msgs/msg/Transform", tf, _STATIC_NS)

    def write(self, frame: DepthFrame) -> None:
        """Append one frame (its timestamp, relative to the first frame's, is the bag time)."""
        if self._writer is None:
            raise SourceError(f"recording {self.path} is already closed")
        if frame.intrinsics != self.intrinsics:
            raise SourceError("a recording holds one camera; this frame's intrinsics differ from the first")
        if self._t0 is None:
            self._t0 = frame.timestamp_s
        # Bag time must not run backwards, and playback uses it as the frame's time.
        t_ns = max(_ns(frame.timestamp_s - self._t0) + 1, self._last_ns + 1)
        self._last_ns = t_ns
        counts = to_depth_counts(frame.depth_mm)  # DEPTH_UNIT_M is 1 mm
        t = self._ts.types
        h, w = counts.shape
        image = t["sensor_msgs/msg/Image"](
            header=self._header(frame.frame_number, t_ns), height=h, width=w, encoding="mono16",
            is_bigendian=0, step=2 * w, data=counts.view(np.uint8).ravel())
        self._put(f"{_STREAM}/image/data", "sensor_msgs/msg/Image", image, t_ns)
        kv = t["diagnostic_msgs/msg/KeyValue"]
        for key, value in (("frame_counter", str(frame.frame_number)), ("system_time", str(t_ns // 10**6)),
                           ("timestamp_domain", "System Time")):
            self._put(f"{_STREAM}/image/metadata", "diagnostic_msgs/msg/KeyValue", kv(key=key, value=value), t_ns)
        self.frames_written += 1

    def close(self) -> None:
        """Write the bag's index; without it the file does not play (safe to call twice)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> "BagWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
