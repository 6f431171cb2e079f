"""How gunicorn serves shopsync (named by gunicorn.conf.py): a worker no slow client can
starve, and an access log without endpoint keys.

`ReadAheadWorker` is gunicorn's gthread worker, except that a connection gets a thread
only once its whole request has arrived. Its main loop reads every connection without
blocking, so an idle or trickling client costs a socket and a buffer, never a thread;
a request (head, and a Content-Length or chunked body up to the body cap) must arrive
within REQUEST_DEADLINE_SECONDS of the connection or of its previous request, or the
connection is closed. A client expecting "100 Continue" gets it from here. Plain
HTTP/1.1 only (the platform's router terminates TLS): with TLS or HTTP/2 configured
the worker behaves exactly like gthread.
"""

from __future__ import annotations

import errno
import re
import selectors
import socket
import time
from enum import Enum
from functools import partial
from typing import Any

from gunicorn.glogging import Logger
from gunicorn.workers.gthread import TConn, ThreadWorker

from shopsync.config import DEFAULT_MAX_BODY_BYTES
from shopsync.web.readahead import CONTINUE_RESPONSE, RequestReadAhead

REQUEST_DEADLINE_SECONDS = 10.0
RECV_BYTES = 64 * 1024
# Path parts that are credentials: a webhook endpoint's key (and Mailchimp's second
# secret after it), and an order status page's token.
URL_SECRETS = (
    re.compile(r"(/webhooks/[^/?#\s]+/)[^?#\s]+"),
    re.compile(r"(/orders/)(?!find(?:[/?#\s]|$))[^/?#\s]+"),
)


class Reading(Enum):
    """What reading a connection found."""

    WAITING = "waiting"
    ARRIVED = "arrived"
    CLOSED = "closed"


class ReadAheadConnection(TConn):  # type: ignore[misc]
    """A gthread connection with the bytes read for it before a thread took it."""

    def __init__(self, *args: Any, ahead: RequestReadAhead) -> None:
        super().__init__(*args)
        self.ahead = ahead
        self.arrived = False


class ReadAheadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread whose threads only ever work requests that have fully arrived."""

    def init_process(self) -> None:
        self._reading_ahead = not self.cfg.is_ssl and "h2" not in str(self.cfg.http_protocols)
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        if not self._reading_ahead:
            super().accept(listener)
            return
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client.setblocking(False)
        ahead = RequestReadAhead(max_head=self._max_head(), max_body=self._max_body())
        connection = ReadAheadConnection(
            self.cfg, client, address, listener.getsockname(), ahead=ahead
        )
        self._read_ahead(connection)

    def enqueue_req(self, conn: Any) -> None:
        """Every way into the thread pool: new, kept-alive and pipelined requests."""
        if not isinstance(conn, ReadAheadConnection) or conn.arrived:
            if isinstance(conn, ReadAheadConnection):
                conn.arrived = False
            super().enqueue_req(conn)
            return
        if conn.parser is not None:  # bytes of the next request, read with the last one
            conn.ahead.feed(conn.parser.unreader.take_buffered())
        self._read_ahead(conn)

    def handle(self, conn: Any) -> Any:
        if isinstance(conn, ReadAheadConnection):
            data = conn.ahead.take()
            if data:
                conn.init()
                conn.parser.unreader.unread(data)
        return super().handle(conn)

    def _read_ahead(self, conn: ReadAheadConnection) -> None:
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + REQUEST_DEADLINE_SECONDS
        state = Reading.ARRIVED if conn.ahead.complete else self._receive(conn)
        if state is Reading.ARRIVED:
            self._dispatch(conn)
        elif state is Reading.CLOSED:
            self._close(conn)
        else:
            self.pending_conns.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: ReadAheadConnection, _sock: socket.socket) -> None:
        state = self._receive(conn)
        if state is Reading.WAITING:
            return
        self.poller.unregister(conn.sock)
        self.pending_conns.remove(conn)
        if state is Reading.ARRIVED:
            self._dispatch(conn)
        else:
            self._close(conn)

    def _receive(self, conn: ReadAheadConnection) -> Reading:
        """Read what the client has sent so far, without waiting for more."""
        try:
            data = conn.sock.recv(RECV_BYTES)
            if data:
                conn.ahead.feed(data)
                if conn.ahead.continue_expected:
                    conn.ahead.continue_sent()
                    conn.sock.sendall(CONTINUE_RESPONSE)
        except (BlockingIOError, InterruptedError):
            return Reading.WAITING
        except OSError:
            return Reading.CLOSED
        if not data:
            return Reading.CLOSED
        return Reading.ARRIVED if conn.ahead.complete else Reading.WAITING

    def _dispatch(self, conn: ReadAheadConnection) -> None:
        conn.arrived = True
        conn.data_ready = True
        self.enqueue_req(conn)

    def _close(self, conn: ReadAheadConnection) -> None:
        self.nr_conns -= 1
        conn.close()

    def _max_head(self) -> int:
        cfg = self.cfg
        fields = cfg.limit_request_fields * (cfg.limit_request_field_size + 2)
        return int(cfg.limit_request_line + 2 + fields + 2)

    def _max_body(self) -> int:
        # The app's own cap: bodies over it are refused from their Content-Length.
        config = getattr(self.wsgi, "config", None)
        limit = config.get("MAX_CONTENT_LENGTH") if config is not None else None
        return int(limit or DEFAULT_MAX_BODY_BYTES)


class KeyMaskingLogger(Logger):  # type: ignore[misc]
    """gunicorn's logger, with the secrets in URLs (endpoint keys, order tokens) masked."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = mask_url_secrets(atoms[name])
        return atoms


def mask_url_secrets(text: str) -> str:
    for pattern in URL_SECRETS:
        text = pattern.sub(r"\1***", text)
    return text
