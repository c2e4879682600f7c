"""`--stream udp://HOST:PORT`: one JSON datagram per processed frame, sent without waiting; a hello
datagram (the intrinsics) before the first frame and every second after, so that a receiver
started late learns them. Nothing is ever queued: a datagram the network cannot take is lost."""
from __future__ import annotations

import json
import socket
import time

from handpose_live.runtime.engine import FrameOutput
from handpose_live.stream.message import frame_message, hello_message

HELLO_EVERY_S = 1.0


class DatagramSender:
    """A non-blocking UDP socket aimed at `host:port` (socket.gaierror for a host not found); what
    the JSON and the OSC streams send through."""

    def __init__(self, host: str, port: int):
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        self.address = address
        self._sock = socket.socket(family, kind, proto)
        self._sock.setblocking(False)

    def send(self, data: bytes) -> None:
        """Send one datagram now, or drop it (a full buffer, nobody listening on loopback); never waits."""
        try:
            self._sock.sendto(data, self.address)
        except OSError:  # BlockingIOError, ConnectionRefusedError of an earlier datagram, ...
            pass

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()


class UdpStream(DatagramSender):
    """Sends each frame as one JSON datagram to `host:port`."""

    def __init__(self, host: str, port: int):
        super().__init__(host, port)
        self._last_hello = -float("inf")

    def publish(self, out: FrameOutput) -> None:
        """Send this frame (and a hello when one is due)."""
        now = time.perf_counter()
        if now - self._last_hello >= HELLO_EVERY_S:
            self.send(json.dumps(hello_message(out.frame.intrinsics)).encode())
            self._last_hello = now
        self.send(json.dumps(frame_message(out, now)).encode())
