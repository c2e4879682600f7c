"""What the streams send: a `hello` (the camera's intrinsics, the joint names and bones) and one
`frame` message per processed frame (the headless record, the joints' pixels, the handedness
score and a wall-clock send time), each with the schema version. Documented in the README."""
from __future__ import annotations

import time

import numpy as np

from handpose_live.camera import Intrinsics
from handpose_live.joints import BONES, Joint, bone_color_bgr
from handpose_live.runtime.engine import FrameOutput

SCHEMA_VERSION = 1
UNITS = "millimetres, camera frame: x right, y down, z forward (away from the camera); pixels: u right, v down"


def hello_message(intrinsics: Intrinsics) -> dict:
    """The first message a client gets (WebSocket: on connect; UDP: at the start and every second)."""
    i = intrinsics
    return {"type": "hello", "schema": SCHEMA_VERSION,
            "intrinsics": {"fx": i.fx, "fy": i.fy, "cx": i.cx, "cy": i.cy, "width": i.width, "height": i.height},
            "joints": [j.name.lower() for j in Joint], "bones": [list(b) for b in BONES],
            "bone_colors": ["#{2:02x}{1:02x}{0:02x}".format(*bone_color_bgr(b)) for b in BONES], "units": UNITS}


def frame_message(out: FrameOutput, t_send: float) -> dict:
    """One frame: the --headless record plus pixels, handedness score and `sent_unix_ms`."""
    message = {"type": "frame", "schema": SCHEMA_VERSION, **out.record(t_send)}
    message["joints_px"] = np.round(out.joints_px, 1).tolist() if out.result.hand_found else []
    score = out.result.handedness_score
    message["handedness_score"] = None if score is None or not out.result.hand_found else round(float(score), 3)
    # Wall clock, so that a receiver on the same machine can measure capture → receipt:
    # now − sent_unix_ms + latency_ms.
    message["sent_unix_ms"] = round(time.time() * 1000.0, 3)
    return message
