"""`shopsync mailchimp`: connect a store's Mailchimp audience (API key, audience, webhook)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from shopsync import runtime
from shopsync.cli.project import open_project
from shopsync.errors import ProviderError
from shopsync.mailchimp import connection
from shopsync.mailchimp.adapter import MailchimpApi


@click.group("mailchimp")
def mailchimp_group() -> None:
    """A store's Mailchimp connection: API key, audience, audience webhook."""


def services() -> connection.Services:
    rt = runtime.current()
    return connection.Services(
        engine=rt.engine, vault=rt.vault, api=MailchimpApi.from_settings(rt.settings)
    )


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except connection.AudienceNeeded as needed:
        for audience in needed.audiences:
            members = "" if audience.member_count is None else f" ({audience.member_count} members)"
            click.echo(f"{audience.id}  {audience.name}{members}")
        raise click.ClickException(str(needed)) from None
    except (connection.MailchimpConnectionError, ProviderError) as refused:
        raise click.ClickException(str(refused)) from None


@mailchimp_group.command("connect")
@click.argument("store_id", type=int)
@click.option("--api-key", required=True, help="A Mailchimp API key (…-us21).")
@click.option(
    "--audience", "audience_id", default=None, help="The audience ID (listed if left out)."
)
@click.option(
    "--double-opt-in",
    is_flag=True,
    help="New members from checkouts confirm by email first (Mailchimp's pending status).",
)
def connect(store_id: int, api_key: str, audience_id: str | None, double_opt_in: bool) -> None:
    """Check the key, choose the audience, register shopsync's audience webhook."""
    rt = open_project()
    with _refusals():
        found = connection.connect(
            services(),
            store_id=store_id,
            api_key=api_key,
            audience_id=audience_id,
            double_opt_in=double_opt_in,
            public_url=rt.settings.public_url,
        )
    _show(found)
    click.echo("the key is stored encrypted; Mailchimp now sends audience changes to the URL above")


@mailchimp_group.command("status")
@click.argument("store_id", type=int)
def status(store_id: int) -> None:
    """Whether the store is connected, to which audience, and its webhook."""
    rt = open_project()
    with _refusals():
        _show(connection.status(services(), store_id=store_id, public_url=rt.settings.public_url))


@mailchimp_group.command("disconnect")
@click.argument("store_id", type=int)
def disconnect(store_id: int) -> None:
    """Delete shopsync's webhook at Mailchimp and forget the key."""
    open_project()
    with _refusals():
        deleted = connection.disconnect(services(), store_id=store_id)
    gone = "deleted at Mailchimp" if deleted else "already gone at Mailchimp"
    click.echo(f"store {store_id} disconnected from Mailchimp; its webhook was {gone}")


def _show(found: connection.ConnectionStatus) -> None:
    if not found.connected:
        click.echo(f"store {found.store_id}: not connected to Mailchimp")
        return
    click.echo(f"store {found.store_id}: connected to Mailchimp ({found.server})")
    click.echo(f"  audience:  {found.audience_id} {found.audience_name or ''}".rstrip())
    click.echo(f"  webhook:   {found.webhook_id}")
    click.echo(f"  URL:       {found.webhook_url} (its last part is a secret, not shown)")
    opt_in = "double opt-in (pending until confirmed)" if found.double_opt_in else "single opt-in"
    click.echo(f"  new members from checkouts: {opt_in}")


COMMANDS = [mailchimp_group]
