"""The per-process services (settings, database engine, Redis), built once and shared.

`shopsync.bootstrap` builds one per process and activates it; jobs find it with
`current()`. Nothing here connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from redis import Redis
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
        if self.settings.redis_url is None:
            raise ConfigError("REDIS_URL is not set (`shopsync dev` starts an embedded Redis)")
        return connect_redis(self.settings.redis_url)

    def close(self) -> None:
        self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


def connect_redis(url: str) -> Redis:
    """A client with short timeouts: an ack must not wait on a sick Redis."""
    options: dict[str, object] = {
        "socket_connect_timeout": 1.0,
        "socket_timeout": 5.0,
        "health_check_interval": 30,
    }
    if url.startswith("rediss://"):
        # Heroku Redis presents a self-signed certificate; the channel is still encrypted.
        options["ssl_cert_reqs"] = None
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
