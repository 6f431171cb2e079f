"""The per-process services (settings, database engine, Redis), built once and shared.

`shopsync.bootstrap` builds one per process and activates it; jobs find it with
`current()`. Nothing here connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine

from shopsync.config import Settings
from shopsync.crypto import Vault
from shopsync.db import create_engine_for
from shopsync.errors import ConfigError


@dataclass
class Runtime:
    settings: Settings
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine_for(self.settings.database_url)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.settings.secret_key, self.settings.secret_key_fallbacks)

    @cached_property
    def redis(self) -> Redis:
        return self.connect_redis()

    def connect_redis(self, *, timeout: float = 5.0, retries: bool = True) -> Redis:
        """A new client for this process's Redis (see `connect_redis`)."""
        if self.settings.redis_url is None:
            raise ConfigError("REDIS_URL is not set (`shopsync dev` starts an embedded Redis)")
        return connect_redis(
            self.settings.redis_url,
            verify_tls=self.settings.redis_tls_verify,
            ca_file=self.settings.redis_tls_ca_file,
            timeout=timeout,
            retries=retries,
        )

    def close(self) -> None:
        self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


def connect_redis(
    url: str,
    *,
    verify_tls: bool = True,
    ca_file: Path | None = None,
    timeout: float = 5.0,
    retries: bool = True,
) -> Redis:
    """A client with short timeouts: an ack must not wait on a sick Redis.

    A `rediss://` server's certificate is verified (against `ca_file` when given, else
    the system's authorities) unless `verify_tls` is off, which only a platform whose
    Redis presents a self-signed certificate (Heroku's add-on) should need. Without
    `retries` a failed command fails at once instead of being retried with backoff.
    """
    options: dict[str, object] = {
        "socket_connect_timeout": min(1.0, timeout),
        "socket_timeout": timeout,
        "health_check_interval": 30,
    }
    if not retries:
        options["retry"] = Retry(NoBackoff(), 0)
    if url.startswith("rediss://"):
        if not verify_tls:
            options.update(ssl_cert_reqs="none", ssl_check_hostname=False)
        elif ca_file is not None:
            options["ssl_ca_certs"] = str(ca_file)
    return Redis.from_url(url, **options)


_current: Runtime | None = None


def activate(runtime: Runtime) -> Runtime:
    global _current  # noqa: PLW0603 - one runtime per process is the point
    _current = runtime
    return runtime


def current() -> Runtime:
    """The runtime this process activated (see `shopsync.bootstrap`)."""
    if _current is None:
        raise ConfigError("no runtime is active: start the process through shopsync.bootstrap")
    return _current
