"""gunicorn as deployed: the Procfile's settings, no control socket, keys out of the logs."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from shopsync.dev.server import GUNICORN_CONFIG
from shopsync.web.serving import mask_url_secrets
from tests.processes import PROJECT_ROOT, gunicorn


def test_procfile_and_dev_server_serve_with_the_project_settings() -> None:
    procfile = (PROJECT_ROOT / "Procfile").read_text().splitlines()
    [web] = [line for line in procfile if line.startswith("web:")]
    assert web == "web: gunicorn --config gunicorn.conf.py wsgi:app"
    assert GUNICORN_CONFIG == PROJECT_ROOT / "gunicorn.conf.py"


@pytest.mark.slow
def test_gunicorn_opens_no_control_socket(environ: dict[str, str], tmp_path: Path) -> None:
    runtime_dir, home = tmp_path / "run", tmp_path / "home"
    runtime_dir.mkdir()
    home.mkdir()
    env = {**environ, "XDG_RUNTIME_DIR": str(runtime_dir), "HOME": str(home)}
    process, _ = gunicorn(env, workers=1, log=tmp_path / "gunicorn.log")
    try:
        assert list(runtime_dir.iterdir()) == []
        assert list(home.iterdir()) == []
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("POST /webhooks/stripe/AbC-12_x HTTP/1.1", "POST /webhooks/stripe/*** HTTP/1.1"),
        ("/webhooks/shopify/k3y?x=1", "/webhooks/shopify/***?x=1"),
        ("GET /healthz HTTP/1.1", "GET /healthz HTTP/1.1"),
        ("GET /webhooks/stripe HTTP/1.1", "GET /webhooks/stripe HTTP/1.1"),
        ("POST /webhooks/mailchimp/k3y/s3cret HTTP/1.1", "POST /webhooks/mailchimp/*** HTTP/1.1"),
        ("GET /orders/T0k-3n HTTP/1.1", "GET /orders/*** HTTP/1.1"),
        ("GET /orders/T0k-3n/live HTTP/1.1", "GET /orders/***/live HTTP/1.1"),
        ("GET /orders/find HTTP/1.1", "GET /orders/find HTTP/1.1"),
        ("POST /orders/find?x=1 HTTP/1.1", "POST /orders/find?x=1 HTTP/1.1"),
    ],
)
def test_access_lines_mask_the_secrets_in_urls(line: str, masked: str) -> None:
    assert mask_url_secrets(line) == masked


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.slow
def test_pipelined_and_continue_expecting_requests_are_served(
    environ: dict[str, str], tmp_path: Path
) -> None:
    process, base = gunicorn(environ, workers=1, log=tmp_path / "gunicorn.log")
    address = ("127.0.0.1", int(base.rsplit(":", 1)[1]))
    try:
        with socket.create_connection(address, timeout=5) as sock:
            health = b"GET /healthz HTTP/1.1\r\nHost: shop.test\r\n\r\n"
            sock.sendall(health + health + b"GET /heal")  # the third one arrives later
            time.sleep(0.5)
            sock.sendall(b"thz HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n")
            assert read_until_closed(sock).count(b"HTTP/1.1 200 OK") == 3
        with socket.create_connection(address, timeout=5) as sock:
            sock.sendall(
                b"POST /webhooks/stripe/no-such-key HTTP/1.1\r\nHost: shop.test\r\n"
                b"Content-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
            )
            assert sock.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
            sock.sendall(b"{}")
            answer = read_until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 404") and b"100 Continue" not in answer
    finally:
        process.stop()
