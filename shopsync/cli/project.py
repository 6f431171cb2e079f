"""What every command needs first: this project's settings, database and Redis.

A command finds the project's instance (see `shopsync.instance`) and refuses, in one
line that says what to run, a database that does not exist or is not migrated -- so a
command run in the wrong directory never creates an empty database there, and never
ends in a SQLAlchemy traceback.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.script import ScriptDirectory
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from shopsync import bootstrap
from shopsync.config import Settings
from shopsync.errors import ConfigError, ShopsyncError
from shopsync.migrate import alembic_config, current_revision
from shopsync.runtime import Runtime


class ServiceUnavailable(ShopsyncError):
    """The database or Redis a command needs does not answer."""


def open_project(*, initialize: bool = False, check_schema: bool = True) -> Runtime:
    """This process's runtime, on a database that exists and is migrated.

    `initialize` (for `shopsync db upgrade`) may create the instance and the database.
    `check_schema=False` skips the migration check (a query): the worker starts without
    touching the database, as it always has, and a deploy migrates before it starts.
    """
    settings = Settings.from_env(initialize=initialize)
    if not initialize:
        _require_database_file(settings)
    runtime = bootstrap.start(settings)
    if check_schema and not initialize:
        require_migrated(runtime)
    return runtime


def _require_database_file(settings: Settings) -> None:
    # Connecting to a missing SQLite file would create an empty one, here, silently.
    url = make_url(settings.database_url)
    path = url.database if url.get_backend_name() == "sqlite" else None
    if path and path != ":memory:" and not Path(path).exists():
        raise ConfigError(
            f"no database at {path}: run `shopsync dev` or `shopsync db upgrade` "
            "in the project first (or set SHOPSYNC_INSTANCE_PATH / DATABASE_URL)"
        )


def require_migrated(runtime: Runtime) -> None:
    head = ScriptDirectory.from_config(alembic_config(runtime.engine)).get_current_head()
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    # Alembic announces its dialect at INFO on every look; a check should print nothing.
    alembic_log.setLevel(logging.WARNING)
    try:
        current = current_revision(runtime.engine)
    except DBAPIError as error:
        raise ServiceUnavailable(
            f"the database does not answer ({type(error.orig).__name__}): is it running?"
        ) from None
    finally:
        alembic_log.setLevel(level)
    if current != head:
        raise ConfigError("the database is not up to date: run `shopsync db upgrade`")


def require_redis(runtime: Runtime) -> None:
    """Fail before changing anything if the queue cannot be reached."""
    try:
        runtime.redis.ping()
    except RedisError as error:
        raise ServiceUnavailable(
            f"Redis at {redacted(runtime.settings.redis_url or '')} does not answer "
            f"({type(error).__name__}): start `shopsync dev` or set REDIS_URL; nothing was changed"
        ) from None


def redacted(url: str) -> str:
    """A URL for messages: the password replaced."""
    return make_url(url).render_as_string(hide_password=True) if "://" in url else url
