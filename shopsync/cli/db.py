"""`shopsync db`: the database schema."""

from __future__ import annotations

import click

from shopsync import bootstrap


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations."""
    from shopsync.migrate import upgrade

    rt = bootstrap.start()
    upgrade(rt.engine)
    click.echo("database is up to date")


COMMANDS = [db]
