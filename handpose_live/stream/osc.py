"""`--stream osc://HOST:PORT`: Open Sound Control over UDP, for creative tools (TouchDesigner, Max,
Pure Data, SuperCollider). Per processed frame, one bundle-free message each:

- `/handpose/frame` i:frame number, i:hand found (0/1), f:confidence (−1 without), s:handedness
- `/handpose/joints` 63 floats: x, y, z of the 21 joints in camera millimetres (sent with a hand)
- `/handpose/joints_px` 42 floats: u, v pixels of the 21 joints (sent with a hand)

Written by hand (OSC 1.0: padded strings, big-endian int32 / float32); sent without waiting."""
from __future__ import annotations

import struct

import numpy as np

from handpose_live.runtime.engine import FrameOutput
from handpose_live.stream.udp import DatagramSender


def _string(text: str) -> bytes:
    """An OSC string: ASCII, NUL-terminated, padded to a multiple of 4 bytes."""
    raw = text.encode("ascii") + b"\0"
    return raw + b"\0" * (-len(raw) % 4)


def osc_message(address: str, *args: int | float | str) -> bytes:
    """One OSC message with int32 (i), float32 (f) and string (s) arguments."""
    tags, body = ",", b""
    for a in args:
        if isinstance(a, str):
            tags, body = tags + "s", body + _string(a)
        elif isinstance(a, (int, np.integer)) and not isinstance(a, bool):
            tags, body = tags + "i", body + struct.pack(">i", int(a))
        else:
            tags, body = tags + "f", body + struct.pack(">f", float(a))
    return _string(address) + _string(tags) + body


class OscStream(DatagramSender):
    """Sends each frame as OSC messages to `host:port`."""

    def publish(self, out: FrameOutput) -> None:
        """Send this frame's messages."""
        r = out.result
        found = bool(r.hand_found)
        self.send(osc_message("/handpose/frame", int(out.frame.frame_number), int(found),
                              -1.0 if r.confidence is None or not found else float(r.confidence),
                              (r.handedness or "") if found else ""))
        if found:
            self.send(osc_message("/handpose/joints", *np.asarray(out.joints_mm, np.float64).ravel()))
            self.send(osc_message("/handpose/joints_px", *np.asarray(out.joints_px, np.float64).ravel()))
