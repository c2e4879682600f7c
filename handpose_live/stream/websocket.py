"""`--stream ws://HOST:PORT`: a WebSocket server (the `websockets` library) on its own thread.
Any number of clients; each gets the hello, then the newest frame whenever it can take one: a
slow client skips frames, and the pipeline never waits for any client.

Each frame is written to every client that has room in one synchronous `broadcast` on the
server's loop, with no task per client: a client whose socket buffer is full keeps only the
newest frame it missed, written as soon as its buffer drains."""
from __future__ import annotations

import asyncio
import json
import threading
import time

from handpose_live.runtime.engine import FrameOutput
from handpose_live.stream.message import frame_message, hello_message

START_TIMEOUT_S = 5.0
DRAIN_S = 1.0  # at close, how long the last frames may take to reach their clients
# A client with more than this waiting in its socket buffer is behind: it gets no new frame until
# the buffer drains (a frame message is 2-3 kB), and then the newest one.
MAX_BUFFERED = 1 << 15
RETRY_S = 0.005  # how often a client that is behind is looked at again


class StreamError(Exception):
    """A stream that cannot start (a port in use, a host not found): one sentence."""


class WebSocketStream:
    """Serves the frames to WebSocket clients at `host:port` (port 0: any free port, see `.port`)."""

    def __init__(self, host: str, port: int):
        self.port = port
        self._hello: str | None = None
        self._hello_ready: asyncio.Event | None = None
        self._waiting: dict = {}  # connection → the newest frame it has not had yet (None: none)
        self._retry: asyncio.TimerHandle | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        started = threading.Event()
        failure: list[str] = []
        self._thread = threading.Thread(target=self._run, args=(host, port, started, failure), daemon=True,
                                        name="websocket-stream")
        self._thread.start()
        if not started.wait(START_TIMEOUT_S) or failure:
            raise StreamError(failure[0] if failure else f"the WebSocket server on {host}:{port} did not start")

    def _run(self, host: str, port: int, started: threading.Event, failure: list[str]) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            self._stop = asyncio.Event()
            self._hello_ready = asyncio.Event()
            try:
                server = await serve(self._serve, host, port, compression=None)
            except OSError as e:
                failure.append(f"cannot serve WebSockets on {host}:{port}: {e.strerror or e}")
                started.set()
                return
            self.port = server.sockets[0].getsockname()[1]
            started.set()
            async with server:
                await self._stop.wait()

        self._loop.run_until_complete(main())
        self._loop.close()

    async def _serve(self, ws) -> None:
        await self._hello_ready.wait()
        try:
            await ws.send(self._hello)
        except Exception:  # noqa: BLE001 - a client that went away before its hello ends only itself
            return
        self._waiting[ws] = None  # from now on it is offered every frame
        try:
            await ws.wait_closed()
        finally:
            self._waiting.pop(ws, None)

    def publish(self, out: FrameOutput) -> None:
        """Offer this frame to every client (never blocks: the server's thread does the sending)."""
        text = json.dumps(frame_message(out, time.perf_counter()))
        hello = None if self._hello is not None else json.dumps(hello_message(out.frame.intrinsics))
        try:
            self._loop.call_soon_threadsafe(self._offer, text, hello)
        except RuntimeError:  # the server has been closed: nobody to send to
            pass

    def _offer(self, text: str, hello: str | None) -> None:
        if hello is not None and self._hello is None:
            self._hello = hello
            self._hello_ready.set()
        for ws in self._waiting:
            self._waiting[ws] = text  # replaces a frame a client that is behind has not had yet
        self._send()

    def _send(self, retrying: bool = False) -> None:
        """Write each waiting frame to its client if the client has room; look again soon for the rest."""
        from websockets.asyncio.server import broadcast

        if retrying:
            self._retry = None
        for text, group in due(self._waiting).items():
            broadcast(group, text)  # a client closed meanwhile is skipped, never raised
        if self._retry is None and self._behind():
            self._retry = self._loop.call_later(RETRY_S, self._send, True)

    def _behind(self) -> bool:
        """Whether a client still has a frame waiting for room in its buffer."""
        return any(t is not None for t in self._waiting.values())

    async def _drain_then_stop(self) -> None:
        # The last frames still waiting for their clients go out first (for at most a second).
        deadline = time.monotonic() + DRAIN_S
        while (self._behind() or any(_buffered(ws) for ws in self._waiting)) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        self._stop.set()

    def close(self) -> None:
        """Send what is still waiting, stop the server and close every connection."""
        if self._thread.is_alive() and self._stop is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._drain_then_stop(), self._loop)
            except RuntimeError:  # the loop has already ended
                return
            self._thread.join(timeout=START_TIMEOUT_S)


def _buffered(ws) -> int:
    """Bytes waiting in a connection's socket buffer (0 once it is closed)."""
    transport = ws.transport
    return 0 if transport is None or transport.is_closing() else transport.get_write_buffer_size()


def due(waiting: dict, buffered=_buffered) -> dict[str, list]:
    """The clients that have room for the frame waiting for them, grouped by frame; their frame is
    marked sent in `waiting`. `buffered(ws)`: bytes in its socket buffer (default: the transport's)."""
    groups: dict[str, list] = {}
    for ws, text in waiting.items():
        if text is not None and buffered(ws) <= MAX_BUFFERED:
            groups.setdefault(text, []).append(ws)
            waiting[ws] = None
    return groups
