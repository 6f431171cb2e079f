"""Migrations build exactly the schema the models describe, on SQLite and on Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import shopsync.models  # noqa: F401 - the tables under test
from shopsync.db import create_engine_for
from shopsync.migrate import current_revision, downgrade, upgrade
from tests.conftest import fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(
    request: pytest.FixtureRequest, tmp_path: Path, server_database_url: str | None
) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        engine.dispose()
        return
    if server_database_url is None:
        pytest.skip("no Postgres server configured (TEST_DATABASE_URL); CI runs this")
    with fresh_postgres_database(server_database_url) as url:
        engine = create_engine_for(url)
        yield engine
        engine.dispose()


def test_upgrade_builds_the_models_schema(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    assert current_revision(empty_engine) is not None
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade(empty_engine)
    assert "webhook_event" in inspect(empty_engine).get_table_names()
