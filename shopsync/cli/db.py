"""`shopsync db`: the database schema."""

from __future__ import annotations

import click

from shopsync.cli.project import open_project


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (creates the development database and instance if needed)."""
    from shopsync.migrate import upgrade

    rt = open_project(initialize=True)
    upgrade(rt.engine)
    click.echo("database is up to date")


COMMANDS = [db]
