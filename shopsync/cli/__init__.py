"""The `shopsync` command: one module per command group, as rq's CLI does.

Every error ends in one line on stderr saying what to do: configuration errors exit
with 2, anything else that stops a command with 1. Never a traceback.
"""

from __future__ import annotations

import sys

import click
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError

from shopsync.cli import (
    access,
    admin,
    db,
    dev,
    events,
    mailchimp,
    notifications,
    outbox,
    secrets,
    simulate,
    stores,
    stripe,
    subscribers,
    worker,
)
from shopsync.cli.project import ServiceUnavailable
from shopsync.errors import ConfigError

CONFIG_EXIT = 2
FAILURE_EXIT = 1


@click.group()
def cli() -> None:
    """shopsync: webhook order sync for online stores."""


for _module in (
    db,
    stores,
    worker,
    dev,
    events,
    outbox,
    simulate,
    secrets,
    admin,
    stripe,
    mailchimp,
    access,
):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
for _command in (
    *subscribers.STORE_COMMANDS,
    *notifications.STORE_COMMANDS,
    *access.STORE_COMMANDS,
):
    stores.store.add_command(_command)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except ConfigError as error:
        _fail(f"configuration error: {error}", CONFIG_EXIT)
    except ServiceUnavailable as error:
        _fail(f"error: {error}", FAILURE_EXIT)
    except DBAPIError as error:
        _fail(
            f"error: the database refused the command ({type(error.orig).__name__}); "
            "is it running and up to date (`shopsync db upgrade`)?",
            FAILURE_EXIT,
        )
    except RedisError as error:
        _fail(f"error: Redis is unavailable ({type(error).__name__}); is it running?", FAILURE_EXIT)


def _fail(message: str, code: int) -> None:
    click.echo(message, err=True)
    sys.exit(code)
