"""`rediss://` is verified: against REDIS_TLS_CA_FILE or the system's authorities, and
only REDIS_TLS_VERIFY=false (Heroku's self-signed add-on) turns that off."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.errors import ConfigError
from shopsync.runtime import Runtime
from tests.certificates import write_self_signed_certificate
from tests.processes import BIN, PROJECT_ROOT, Process, free_port, wait_until
from tests.support import deliver, event_statuses, make_store

REDIS_SERVER = shutil.which("redis-server")


@dataclass(frozen=True)
class TlsRedis:
    url: str
    certificate: Path


def start_tls_redis(directory: Path, *, for_ip: bool) -> Iterator[TlsRedis]:
    if REDIS_SERVER is None:
        pytest.skip("needs a redis-server built with TLS (Debian's has it; CI runs this)")
    # Named redis.internal; trusted for 127.0.0.1 too only when the address is in it.
    addresses = ("127.0.0.1",) if for_ip else ()
    cert, key = write_self_signed_certificate(directory, name="redis.internal", addresses=addresses)
    port = free_port()
    argv = [
        REDIS_SERVER,
        *("--port", "0", "--tls-port", str(port)),
        *("--tls-cert-file", str(cert), "--tls-key-file", str(key)),
        *("--tls-auth-clients", "no", "--requirepass", "pw"),
        *("--save", "", "--appendonly", "no", "--dir", str(directory)),
    ]
    with Process(argv, {}, log=directory / "redis.log") as server:
        wait_until(
            lambda: "Ready to accept connections" in (directory / "redis.log").read_text(),
            what="TLS redis-server to start",
        )
        yield TlsRedis(f"rediss://:pw@127.0.0.1:{port}/0", cert)
        server.stop()


@pytest.fixture
def tls_redis(tmp_path: Path) -> Iterator[TlsRedis]:
    yield from start_tls_redis(tmp_path, for_ip=True)


@pytest.fixture
def misnamed_tls_redis(tmp_path: Path) -> Iterator[TlsRedis]:
    yield from start_tls_redis(tmp_path, for_ip=False)


def runtime_for(tmp_path: Path, url: str, **extra: str) -> Runtime:
    environ = {
        "SHOPSYNC_INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "tls-test-key-" + "k" * 32,
        "REDIS_URL": "redis://should-not-be-used:6379",
        "REDIS_TLS_URL": url,
        **extra,
    }
    return Runtime(Settings.from_env(environ))


def round_trip(runtime: Runtime) -> bytes | None:
    runtime.redis.set("shopsync:tls-check", "ok")
    value = runtime.redis.get("shopsync:tls-check")
    runtime.close()
    assert value is None or isinstance(value, bytes)
    return value


@pytest.mark.slow
def test_an_untrusted_certificate_is_refused_by_default(
    tls_redis: TlsRedis, tmp_path: Path
) -> None:
    runtime = runtime_for(tmp_path, tls_redis.url)
    with pytest.raises(RedisConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        runtime.redis.ping()
    runtime.close()


@pytest.mark.slow
def test_a_certificate_signed_by_the_configured_authority_is_trusted(
    tls_redis: TlsRedis, tmp_path: Path
) -> None:
    runtime = runtime_for(tmp_path, tls_redis.url, REDIS_TLS_CA_FILE=str(tls_redis.certificate))
    assert round_trip(runtime) == b"ok"


@pytest.mark.slow
def test_a_trusted_certificate_for_another_host_is_refused(
    misnamed_tls_redis: TlsRedis, tmp_path: Path
) -> None:
    runtime = runtime_for(
        tmp_path, misnamed_tls_redis.url, REDIS_TLS_CA_FILE=str(misnamed_tls_redis.certificate)
    )
    with pytest.raises(RedisConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        runtime.redis.ping()
    runtime.close()


@pytest.mark.slow
def test_verification_off_connects_to_a_self_signed_platform_redis(
    misnamed_tls_redis: TlsRedis, tmp_path: Path
) -> None:
    runtime = runtime_for(tmp_path, misnamed_tls_redis.url, REDIS_TLS_VERIFY="false")
    assert round_trip(runtime) == b"ok"


@pytest.mark.slow
def test_the_web_process_and_the_worker_use_the_verified_connection(
    environ: dict[str, str], tls_redis: TlsRedis, tmp_path: Path
) -> None:
    tls = {"REDIS_URL": tls_redis.url, "REDIS_TLS_CA_FILE": str(tls_redis.certificate)}
    app = create_app(Settings.from_env({**environ, **tls}))
    rt: Runtime = app.extensions["shopsync"].runtime
    store = make_store(rt, name="TLS shop")
    session = samples.checkout_session("T-1", amount=500)
    event = samples.event("checkout.session.completed", session, livemode=True)
    assert deliver(app.test_client(), store, "stripe", event).status_code == 200
    assert rt.redis.llen("shopsync:inbox") == 1  # the wake-up went through TLS
    subprocess.run(
        [str(BIN / "shopsync"), "worker", "--burst"],
        env={**os.environ, **environ, **tls},
        cwd=PROJECT_ROOT,
        check=True,
        timeout=60,
        capture_output=True,
    )
    assert event_statuses(rt) == ["processed"]
    rt.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"REDIS_TLS_VERIFY": "maybe"}, "REDIS_TLS_VERIFY must be true or false"),
        ({"REDIS_TLS_CA_FILE": "/nowhere/ca.pem"}, "REDIS_TLS_CA_FILE"),
    ],
)
def test_bad_tls_settings_stop_the_start(
    tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(
            {"SHOPSYNC_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40, **extra}
        )
