"""Database engine and sessions: one engine per process, safe across RQ's fork."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from shopsync.private_files import create_private

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine_for(database_url: str, *, pool_size: int = 5) -> Engine:
    """Build the engine for `database_url`; nothing connects until first use."""
    if database_url.startswith("sqlite"):
        engine = _create_sqlite_engine(database_url)
    else:
        engine = create_engine(
            database_url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_recycle=300,
            connect_args={"connect_timeout": 5},
        )
    _dispose_pool_after_fork(engine)
    return engine


def _create_sqlite_engine(database_url: str) -> Engine:
    path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    if database_url.startswith("sqlite:///") and path not in ("", ":memory:"):
        # Customers' data: the file (and so its -wal and -shm) is its owner's alone.
        os.makedirs(os.path.dirname(os.path.abspath(path)), mode=0o700, exist_ok=True)
        create_private(Path(path))
    engine = create_engine(
        database_url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_immediately)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets the web process read while a worker writes; the busy timeout turns
    # writer contention into waiting instead of "database is locked" errors.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Take transaction control from pysqlite (whose implicit BEGIN breaks SAVEPOINTs);
    # `_begin_immediately` then starts every transaction itself.
    dbapi_connection.isolation_level = None


def _begin_immediately(connection: Connection) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another writer got in between; IMMEDIATE waits its turn instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _dispose_pool_after_fork(engine: Engine) -> None:
    """A forked RQ work-horse must open its own connections, never reuse the parent's."""
    ref = weakref.ref(engine)

    def reset_in_child() -> None:
        child_engine = ref()
        if child_engine is not None:
            child_engine.dispose(close=False)

    os.register_at_fork(after_in_child=reset_in_child)


_autocommit_engines: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def single_statement(engine: Engine) -> Engine:
    """The engine for one-statement writes: autocommit on Postgres, as is on SQLite.

    SQLite keeps its explicit BEGIN IMMEDIATE (see `_begin_immediately`), which costs
    nothing there; on Postgres autocommit saves two round trips per write.
    """
    if engine.dialect.name != "postgresql":
        return engine
    if engine not in _autocommit_engines:
        _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return _autocommit_engines[engine]


@contextmanager
def alone(engine: Engine) -> Iterator[Connection]:
    """A connection for one write statement, committed when the block ends.

    Autocommit on Postgres (see `single_statement`): as durable as a transaction of
    one statement, without the BEGIN and COMMIT round trips.
    """
    with single_statement(engine).connect() as connection:
        yield connection
        connection.commit()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


HELD_KEY = "shopsync.held"


def hold(session: Session, *instances: object) -> None:
    """Keep these loaded rows referenced for the rest of the session.

    The session's identity map holds unchanged rows weakly: once the caller drops its
    reference, a later `session.get` for the same row asks the database again. Work
    that reads a row in one step and again in a later one (the order, when a finisher
    writes its webhook body and its email) holds it here instead.
    """
    held: list[object] = session.info.setdefault(HELD_KEY, [])
    held.extend(instances)
