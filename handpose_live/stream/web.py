"""`--web [HOST:]PORT`: the browser viewer, a static page (stream/web/index.html) served over HTTP
on its own thread, which draws the live skeleton from the app's WebSocket stream."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from handpose_live.stream.websocket import StreamError

PAGE = Path(__file__).with_name("web") / "index.html"


class WebViewer:
    """Serves the viewer page at http://host:port/ (port 0: any free one, see `.port`), pointing it
    at the WebSocket stream on `ws_port`."""

    def __init__(self, host: str, port: int, ws_port: int):
        page = PAGE.read_bytes()
        config = json.dumps({"ws_port": ws_port}).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                path = self.path.split("?")[0]
                html = (page, "text/html; charset=utf-8")
                body, kind = {"/": html, "/index.html": html, "/config.json": (config, "application/json")}.get(
                    path, (None, None))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # the terminal is the app's, not an access log
                pass

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as e:
            raise StreamError(f"cannot serve the web viewer on {host}:{port}: {e.strerror or e}") from None
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True, name="web-viewer")
        self._thread.start()

    @property
    def url(self) -> str:
        """Where to point a browser."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}/"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
