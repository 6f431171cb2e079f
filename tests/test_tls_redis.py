"""Heroku Redis speaks TLS with a self-signed certificate: `rediss://` must connect."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopsync.config import Settings
from shopsync.runtime import Runtime
from tests.certificates import write_self_signed_certificate
from tests.processes import Process, free_port, wait_until

REDIS_SERVER = shutil.which("redis-server")


@pytest.fixture
def tls_redis_url(tmp_path: Path) -> Iterator[str]:
    if REDIS_SERVER is None:
        pytest.skip("needs a redis-server built with TLS (Debian's has it; CI runs this)")
    cert, key = write_self_signed_certificate(tmp_path, name="redis.internal")
    port = free_port()
    argv = [
        REDIS_SERVER,
        "--port",
        "0",
        "--tls-port",
        str(port),
        "--tls-cert-file",
        str(cert),
        "--tls-key-file",
        str(key),
        "--tls-auth-clients",
        "no",
        "--save",
        "",
        "--appendonly",
        "no",
        "--requirepass",
        "pw",
        "--dir",
        str(tmp_path),
    ]
    with Process(argv, {}, log=tmp_path / "redis.log") as server:
        wait_until(
            lambda: "Ready to accept connections" in (tmp_path / "redis.log").read_text(),
            what="TLS redis-server to start",
        )
        yield f"rediss://:pw@127.0.0.1:{port}/0"
        server.stop()


def test_rediss_url_with_a_self_signed_certificate_connects(
    tls_redis_url: str, tmp_path: Path
) -> None:
    settings = Settings.from_env(
        {
            "SHOPSYNC_INSTANCE_PATH": str(tmp_path),
            "SECRET_KEY": "tls-test-key",
            "REDIS_URL": "redis://should-not-be-used:6379",
            "REDIS_TLS_URL": tls_redis_url,
        }
    )
    runtime = Runtime(settings)
    assert runtime.redis.ping() is True
    runtime.redis.set("shopsync:tls-check", "ok")
    assert runtime.redis.get("shopsync:tls-check") == b"ok"
    runtime.close()
