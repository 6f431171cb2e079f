"""A store's webhook receiver, for real: an HTTP server that verifies every delivery.

It checks each request with the `standardwebhooks` library, as a store's own system
would, and answers from a script (500 then 200, a redirect, a slow answer, ...).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.processes import free_port


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Delivery:
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool

    @property
    def message_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def type(self) -> str:
        return str(self.body["type"])


class Receiver:
    """Records every request; `secret` is what the store was given for this subscriber."""

    def __init__(self, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.secret = ""
        self.requests: list[Delivery] = []
        self.script: list[Answer] = []
        self.arrived = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/shopsync"

    @property
    def delivered(self) -> list[Delivery]:
        """Requests that verified and were answered 2xx... as far as the receiver knows."""
        return [d for d in self.requests if d.verified]

    def answer_next(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, *_args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length", "0"))
        raw = request.rfile.read(length)
        headers = {key.lower(): value for key, value in request.headers.items()}
        self.requests.append(
            Delivery(headers=headers, body=json.loads(raw), verified=self._verify(raw, headers))
        )
        self.arrived.set()
        answer = self.script.pop(0) if self.script else Answer()
        time.sleep(answer.delay)
        try:
            request.send_response(answer.status)
            for name, value in answer.headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:
            pass  # the sender gave up waiting

    def _verify(self, raw: bytes, headers: dict[str, str]) -> bool:
        try:
            Webhook(self.secret).verify(raw.decode(), headers)
        except WebhookVerificationError:
            return False
        return True


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
