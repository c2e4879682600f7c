"""`--stream` values, udp://HOST:PORT and osc://HOST:PORT (send to), ws://HOST:PORT (serve on), and `--web
[HOST:]PORT`; a missing host is the loopback address, so that nothing is reachable from other
machines unless asked for. `open_streams` starts them all."""
from __future__ import annotations

import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from handpose_live.stream.osc import OscStream
from handpose_live.stream.udp import UdpStream
from handpose_live.stream.web import WebViewer
from handpose_live.stream.websocket import StreamError, WebSocketStream

SCHEMES = ("udp", "ws", "osc")
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
    """A StreamTarget from udp://, ws:// or osc://HOST:PORT; ValueError with one sentence."""
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES or parts.path not in ("", "/") or parts.query:
        raise ValueError(f"--stream {text}: expected udp://HOST:PORT, ws://HOST:PORT or osc://HOST:PORT")
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        raise ValueError(f"--stream {text}: give a port, e.g. {parts.scheme}://127.0.0.1:8765")
    if parts.scheme != "ws" and port == 0:
        raise ValueError(f"--stream {text}: a target to send to needs a real port, not 0")
    return StreamTarget(parts.scheme, parts.hostname or LOOPBACK, port)


def parse_web(text: str) -> StreamTarget:
    """The --web address, [HOST:]PORT, as an http StreamTarget; ValueError with one sentence."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"--web {text}: expected PORT or HOST:PORT, e.g. 8080 or 0.0.0.0:8080")
    return StreamTarget("http", host.strip("[]") or LOOPBACK, int(port))


@dataclass
class Streams:
    """The running streams of a session: the sinks every frame goes to, and the web viewer."""

    sinks: list[UdpStream | WebSocketStream | OscStream] = field(default_factory=list)
    viewer: WebViewer | None = None
    lines: list[str] = field(default_factory=list)  # what was started, for the terminal

    def close(self) -> None:
        """Stop every server and close every socket."""
        if self.viewer is not None:
            self.viewer.close()
        for s in self.sinks:
            s.close()


def open_streams(targets: tuple[StreamTarget, ...], web: StreamTarget | None = None) -> Streams:
    """Start every stream (WebSocket servers listen from here on) and the viewer, which gets a
    WebSocket stream of its own on its host when none was asked for; StreamError with the reason,
    whatever had started closed again."""
    streams = Streams()
    try:
        for t in targets:
            if t.scheme == "ws":
                ws = WebSocketStream(t.host, t.port)
                streams.lines.append(f"serving {StreamTarget('ws', t.host, ws.port)} (WebSocket)")
                streams.sinks.append(ws)
            else:
                try:
                    streams.sinks.append((UdpStream if t.scheme == "udp" else OscStream)(t.host, t.port))
                except socket.gaierror:
                    raise StreamError(f"--stream {t}: host {t.host} not found") from None
                streams.lines.append(f"streaming to {t}" + (" (OSC)" if t.scheme == "osc" else ""))
        if web is not None:
            served = [s for s in streams.sinks if isinstance(s, WebSocketStream)]
            if not served:
                served.append(WebSocketStream(web.host, 0))
                streams.sinks.append(served[0])
            streams.viewer = WebViewer(web.host, web.port, served[0].port)
            streams.lines.append(f"the browser viewer is at {streams.viewer.url}")
    except StreamError:
        streams.close()
        raise
    return streams
