"""A RealSense recording's topics, read with rosbags (ROS1 .bag) or sqlite3 (ROS2 .db3) before
pyrealsense2 is given the file.

pyrealsense2 2.59 can crash the whole process (a segmentation fault or an abort, depending on
what the process did before) when it opens a recording it cannot play, such as one without a
depth stream; so nothing reaches it that has not passed this check.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from handpose_live.sources.base import SourceError

# librealsense's layout: /device_<d>/sensor_<s>/Depth_<i>/image/data holds the depth images.
_DEPTH_IMAGES = re.compile(r"^/device_\d+/sensor_\d+/Depth_\d+/image/data$")


def _ros1_topics(path: Path) -> dict[str, int]:
    """{topic: message count} of a ROS1 bag, from its index."""
    try:
        from rosbags.rosbag1 import Reader
    except ImportError:
        raise SourceError("reading .bag recordings needs the rosbags package (pip install rosbags)") from None
    counts: dict[str, int] = {}
    with Reader(path) as reader:
        for c in reader.connections:
            counts[c.topic] = counts.get(c.topic, 0) + c.msgcount
    return counts


def _ros2_topics(path: Path) -> dict[str, int]:
    """{topic: message count} of a ROS2 .db3 (an SQLite file) as librealsense writes it."""
    uri = f"file:{path.resolve()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as db:
        rows = db.execute("SELECT t.name, COUNT(m.id) FROM topics t LEFT JOIN messages m ON m.topic_id = t.id "
                          "GROUP BY t.id").fetchall()
    return {name: count for name, count in rows}


def check_realsense_recording(path: Path) -> int:
    """The number of depth images in `path`; SourceError unless it is a readable RealSense
    recording with depth images in it."""
    path = Path(path)
    try:
        topics = _ros1_topics(path) if path.suffix == ".bag" else _ros2_topics(path)
    except SourceError:
        raise
    except Exception as e:  # noqa: BLE001 - rosbags and sqlite3 raise many types for damaged files
        raise SourceError(f"{path} cannot be played as a RealSense recording (it is not a complete, "
                          f"indexed ROS {'1' if path.suffix == '.bag' else '2'} bag: {type(e).__name__})") from None
    depth = [n for t, n in topics.items() if _DEPTH_IMAGES.match(t) and n > 0]
    if not depth:
        raise SourceError(f"{path} holds no depth stream")
    return depth[0]
