"""`--stream osc://HOST:PORT`: Open Sound Control over UDP, for creative tools (TouchDesigner, Max,
Pure Data, SuperCollider). Per processed frame, one bundle-free message each:

- `/handpose/frame` i:frame number, i:hand found (0/1), f:confidence (−1 without), s:handedness
- `/handpose/joints` 63 floats: x, y, z of the 21 joints in camera millimetres (sent with a hand)
- `/handpose/joints_px` 42 floats: u, v pixels of the 21 joints (sent with a hand)

Written by hand (OSC 1.0: padded strings, big-endian int32 / float32); sent without waiting."""
from __future__ import annotations

import socket
import struct

import numpy as np

from handpose_live.runtime.engine import FrameOutput


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


class OscStream:
    """Sends each frame as OSC messages to `host:port`."""

    def __init__(self, host: str, port: int):
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.address = address
        self._sock = socket.socket(family, kind, proto)
        self._sock.setblocking(False)
        self.sent = 0
        self.lost = 0

    def publish(self, out: FrameOutput) -> None:
        """Send this frame's messages."""
        r = out.result
        found = bool(r.hand_found)
        self._send(osc_message("/handpose/frame", int(out.frame.frame_number), int(found),
                               -1.0 if r.confidence is None or not found else float(r.confidence),
                               (r.handedness or "") if found else ""))
        if found:
            self._send(osc_message("/handpose/joints", *np.asarray(out.joints_mm, np.float64).ravel()))
            self._send(osc_message("/handpose/joints_px", *np.asarray(out.joints_px, np.float64).ravel()))

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendto(data, self.address)
            self.sent += 1
        except OSError:
            self.lost += 1

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()
