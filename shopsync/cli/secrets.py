"""`shopsync secrets`: what is encrypted at rest with SECRET_KEY."""

from __future__ import annotations

import click

from shopsync.cli.project import open_project


@click.group()
def secrets() -> None:
    """Stored secrets (encrypted with SECRET_KEY)."""


@secrets.command("rotate")
def rotate() -> None:
    """Re-encrypt every stored secret with the current SECRET_KEY.

    After changing SECRET_KEY, keep the old key in SECRET_KEY_FALLBACKS until this has
    run; then the fallback can go.
    """
    from shopsync.stores.encryption import rotate_stored_secrets

    rt = open_project()
    count = rotate_stored_secrets(rt.engine, rt.vault)
    click.echo(f"re-encrypted {count} stored values with the current SECRET_KEY")
    if rt.settings.secret_key_fallbacks:
        click.echo("SECRET_KEY_FALLBACKS can now be removed")


COMMANDS = [secrets]
