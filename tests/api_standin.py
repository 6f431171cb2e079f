"""A real HTTP server standing in for a JSON API on the internet, for one test.

Subclasses answer `route(call)`; every request is recorded with its headers and JSON
body, so tests can check what was sent (and that credentials went only in headers).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.processes import free_port


@dataclass
class ApiCall:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class JsonStandIn:
    port: int = field(default_factory=free_port)
    calls: list[ApiCall] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, call: ApiCall) -> tuple[int, Any]:
        raise NotImplementedError

    def start(self) -> JsonStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                standin._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *_args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        call = ApiCall(
            method=request.command,
            path=url.path,
            query=parse_qs(url.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=json.loads(raw) if raw else None,
        )
        self.calls.append(call)
        status, body = self.route(call)
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
