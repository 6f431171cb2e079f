"""The `shopsync` command: one module per command group, as rq's CLI does."""

from __future__ import annotations

import sys

import click

from shopsync.cli import admin, db, dev, events, outbox, simulate, stores, subscribers, worker
from shopsync.errors import ConfigError


@click.group()
def cli() -> None:
    """shopsync: webhook order sync for online stores."""


for _module in (db, stores, worker, dev, events, outbox, simulate, admin):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
for _command in subscribers.STORE_COMMANDS:
    stores.store.add_command(_command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as error:
        click.echo(f"configuration error: {error}", err=True)
        sys.exit(2)
