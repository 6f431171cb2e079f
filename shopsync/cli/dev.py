"""`shopsync dev`: the whole service on a laptop."""

from __future__ import annotations

import click


@click.command()
@click.option("--port", default=5000, show_default=True, help="Port for the web server.")
@click.option("--host", default="127.0.0.1", show_default=True)
def dev(port: int, host: str) -> None:
    """Run everything locally: SQLite, embedded Redis, web server and worker."""
    from shopsync.dev.server import run_dev

    run_dev(host=host, port=port)


COMMANDS = [dev]
