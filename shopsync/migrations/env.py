"""Alembic environment: runs against the engine handed over by shopsync.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import shopsync.models  # noqa: F401 - registers the tables on SQLModel.metadata

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
