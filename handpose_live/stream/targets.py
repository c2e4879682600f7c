"""`--stream` values: udp://HOST:PORT (send to) and ws://HOST:PORT (serve on); a missing host is
the loopback address, so that nothing is reachable from other machines unless asked for."""
from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from handpose_live.stream.udp import UdpStream
from handpose_live.stream.websocket import StreamError, WebSocketStream

SCHEMES = ("udp", "ws")
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class StreamTarget:
    """One --stream: its scheme, host (to send to, or to bind) and port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def parse_target(text: str) -> StreamTarget:
    """A StreamTarget from udp://HOST:PORT or ws://HOST:PORT; ValueError with one sentence."""
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"--stream {text}: expected udp://HOST:PORT or ws://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        raise ValueError(f"--stream {text}: give a port, e.g. {parts.scheme}://127.0.0.1:8765")
    if parts.scheme == "udp" and port == 0:
        raise ValueError(f"--stream {text}: a UDP target needs a real port, not 0")
    return StreamTarget(parts.scheme, parts.hostname or LOOPBACK, port)


def open_streams(targets: tuple[StreamTarget, ...]) -> list[UdpStream | WebSocketStream]:
    """Start every stream (WebSocket servers listen from here on); StreamError with the reason,
    the ones already started closed again."""
    opened: list[UdpStream | WebSocketStream] = []
    try:
        for t in targets:
            if t.scheme == "ws":
                opened.append(WebSocketStream(t.host, t.port))
            else:
                try:
                    opened.append(UdpStream(t.host, t.port))
                except socket.gaierror:
                    raise StreamError(f"--stream {t}: host {t.host} not found") from None
    except StreamError:
        for s in opened:
            s.close()
        raise
    return opened
