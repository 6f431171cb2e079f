"""Idle and trickling clients cannot starve the web process (real gunicorn, as deployed)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.stripe import samples
from shopsync.web.serving import REQUEST_DEADLINE_SECONDS
from tests.processes import gunicorn, wait_until
from tests.support import StoreFixture, body_of, signed_headers

IDLE = 32
TRICKLING = 32
PROBE_SECONDS = 7.0  # longer than gthread's own 5 s wait for a silent client


class SlowClients(threading.Thread):
    """Idle sockets, and sockets sending one byte every half second: of a request head,
    of a Content-Length body, or of a chunked body."""

    def __init__(self, port: int, path: str) -> None:
        super().__init__(daemon=True)
        self.idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
        heads = [
            b"GET /healthz HTTP/1.1\r\nHost: shop.test\r\nX-Slow: " + b"x" * 1000,
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: shop.test\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n" + b" " * 1000,
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: shop.test\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\nx\r\n" * 500,
        ]
        self.trickling = [
            (socket.create_connection(("127.0.0.1", port)), heads[n % 3]) for n in range(TRICKLING)
        ]
        self.sent = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.5):
            for sock, data in self.trickling:
                if self.sent < len(data):
                    try:
                        sock.send(data[self.sent : self.sent + 1])
                    except OSError:
                        continue  # closed by the server
            self.sent += 1

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def sockets(self) -> list[socket.socket]:
        return self.idle + [sock for sock, _ in self.trickling]

    def close(self) -> None:
        for sock in self.sockets():
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.1)
    try:
        return sock.recv(1024) == b"" or closed_by_server(sock)  # drain any 408/400 answer
    except TimeoutError:
        return False
    except OSError:
        return True


@pytest.fixture
def live_server(environ: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    log = tmp_path / "gunicorn.log"
    process, base = gunicorn(environ, workers=2, log=log, extra_args=("--access-logfile", "-"))
    yield base, log
    process.stop()


def timed(
    request: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> float:
    started = time.monotonic()
    request.request(method, path, body=body, headers=headers or {})
    response = request.getresponse()
    response.read()
    assert response.status == 200
    return time.monotonic() - started


@pytest.mark.slow
def test_idle_and_trickling_clients_do_not_delay_other_requests(
    live_server: tuple[str, Path], store: StoreFixture
) -> None:
    base, log = live_server
    port = int(base.rsplit(":", 1)[1])
    slow = SlowClients(port, store.path("stripe"))
    slow.start()
    try:
        health: list[float] = []
        deliveries: list[float] = []
        deadline = time.monotonic() + PROBE_SECONDS
        while time.monotonic() < deadline:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            health.append(timed(connection, "GET", "/healthz"))
            session = samples.checkout_session(f"S-{len(deliveries)}", amount=100)
            body = body_of(samples.event("checkout.session.completed", session, livemode=True))
            headers = signed_headers("stripe", body, store.secret("stripe"))
            path = store.path("stripe")
            deliveries.append(timed(connection, "POST", path, body=body, headers=headers))
            connection.close()
            time.sleep(0.2)
        assert max(health) < 1.0 and max(deliveries) < 1.0
        assert len(health) > 10
        # None of them ever finished its request: each is dropped at the deadline.
        wait_until(
            lambda: all(closed_by_server(sock) for sock in slow.sockets()),
            timeout=REQUEST_DEADLINE_SECONDS + 5,
            what="the slow clients to be dropped",
        )
    finally:
        slow.stop()
        slow.close()
    access = log.read_text()
    assert "POST /webhooks/stripe/*** HTTP/1.1" in access
    assert store.path("stripe").rsplit("/", 1)[1] not in access
