"""`--stream ws://HOST:PORT`: a WebSocket server (the `websockets` library) on its own thread.
Any number of clients; each gets the hello, then the newest frame whenever it can take one: a
slow client skips frames (counted), and the pipeline never waits for any client."""
from __future__ import annotations

import asyncio
import json
import threading
import time

from handpose_live.runtime.engine import FrameOutput
from handpose_live.stream.message import frame_message, hello_message

START_TIMEOUT_S = 5.0
DRAIN_S = 1.0  # at close, how long the last frames may take to reach their clients


class StreamError(Exception):
    """A stream that cannot start (a port in use, a host not found): one sentence."""


class _Client:
    """One connection's newest unsent message (older ones are dropped, not queued)."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.ready = asyncio.Event()
        self.dropped = 0

    def offer(self, text: str) -> None:
        if self.text is not None:
            self.dropped += 1
        self.text = text
        self.ready.set()


class WebSocketStream:
    """Serves the frames to WebSocket clients at `host:port` (port 0: any free port, see `.port`)."""

    def __init__(self, host: str, port: int):
        self.port = port
        self._hello: str | None = None
        self._hello_ready: asyncio.Event | None = None
        self._clients: set[_Client] = set()
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
        from websockets.exceptions import ConnectionClosed

        client = _Client()
        self._clients.add(client)  # from now on it is offered every frame, the first one too
        try:
            await self._hello_ready.wait()
            await ws.send(self._hello)
            receiving = asyncio.ensure_future(ws.wait_closed())
            while not receiving.done():
                waiting = asyncio.ensure_future(client.ready.wait())
                await asyncio.wait({receiving, waiting}, return_when=asyncio.FIRST_COMPLETED)
                waiting.cancel()
                if client.text is not None:
                    text, client.text = client.text, None
                    client.ready.clear()
                    await ws.send(text)  # waits while this client's buffer is full: newer frames replace `text`
        except ConnectionClosed:  # a client that goes away mid-send ends only its own connection
            pass
        finally:
            self._clients.discard(client)

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
        for c in self._clients:
            c.offer(text)

    async def _drain_then_stop(self) -> None:
        # The last frames still waiting for their clients go out first (for at most a second).
        deadline = time.monotonic() + DRAIN_S
        while any(c.text is not None for c in self._clients) and time.monotonic() < deadline:
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
