"""The per-process services (settings, database engine, Redis), built once and shared.

The web app, the worker and the CLI each build a `Runtime` at start-up and `activate`
it; jobs find it with `current()`. Nothing here connects at import time.
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
from shopsync.queue import connect_redis


@dataclass
class Runtime:
    settings: Settings
    engine: Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = create_engine_for(self.settings.database_url)

    @cached_property
    def vault(self) -> Vault:
        return Vault(self.settings.secret_key)

    @cached_property
    def redis(self) -> Redis:
        if self.settings.redis_url is None:
            raise ConfigError("REDIS_URL is not set (`shopsync dev` starts an embedded Redis)")
        return connect_redis(self.settings.redis_url)

    def close(self) -> None:
        self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


_current: Runtime | None = None


def activate(runtime: Runtime) -> Runtime:
    global _current  # noqa: PLW0603 - one runtime per process is the point
    _current = runtime
    return runtime


def current() -> Runtime:
    """The runtime this process activated; built from the environment on first use."""
    if _current is None:
        return activate(Runtime(Settings.from_env()))
    return _current
