"""`shopsync stripe`: connect a store's Stripe account (its API key and a webhook endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from shopsync.cli.project import open_project, require_redis
from shopsync.connections import stripe as connection
from shopsync.connections.jobs import schedule_finish, services
from shopsync.errors import ProviderError


@click.group("stripe")
def stripe_group() -> None:
    """A store's Stripe connection: API key, webhook endpoint, signing secret."""


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except (connection.StripeConnectionError, ProviderError) as refused:
        raise click.ClickException(str(refused)) from None


@stripe_group.command("connect")
@click.argument("store_id", type=int)
@click.option("--api-key", required=True, help="A secret (sk_) or restricted (rk_) key.")
def connect(store_id: int, api_key: str) -> None:
    """Check the key, register shopsync's webhook endpoint at Stripe, keep its secret."""
    rt = open_project()
    with _refusals():
        status = connection.connect(
            services(),
            store_id=store_id,
            api_key=api_key,
            public_url=rt.settings.public_url,
            events=_event_types(),
        )
    _show(status)
    click.echo("the endpoint's signing secret is stored; Stripe now sends events to the URL above")


@stripe_group.command("status")
@click.argument("store_id", type=int)
def status(store_id: int) -> None:
    """Whether the store is connected, to which account, and its endpoint."""
    rt = open_project()
    with _refusals():
        _show(connection.status(services(), store_id=store_id, public_url=rt.settings.public_url))


@stripe_group.command("disconnect")
@click.argument("store_id", type=int)
def disconnect(store_id: int) -> None:
    """Delete shopsync's endpoint at Stripe and forget the API key."""
    open_project()
    with _refusals():
        deleted = connection.disconnect(services(), store_id=store_id)
    click.echo(f"store {store_id} disconnected; endpoints deleted at Stripe: {len(deleted)}")


@stripe_group.command("roll-secret")
@click.argument("store_id", type=int)
@click.option("--finish", is_flag=True, help="End a roll now: delete the old endpoint.")
def roll_secret(store_id: int, finish: bool) -> None:
    """A new signing secret; the old one keeps verifying for a day, then goes."""
    rt = open_project()
    with _refusals():
        if finish:
            old = connection.finish_roll(services(), store_id=store_id)
            click.echo(f"old endpoint {old} deleted" if old else "no roll under way")
            return
        require_redis(rt)
        until = connection.roll_secret(
            services(), store_id=store_id, public_url=rt.settings.public_url, events=_event_types()
        )
    schedule_finish(store_id, until)
    click.echo(
        f"new endpoint registered; the old secret is accepted until {until:%Y-%m-%d %H:%M} UTC, "
        "then the old endpoint is deleted (a worker does it; or run this with --finish)"
    )


def _event_types() -> list[str]:
    from shopsync.pipeline.registry import registry

    return sorted(registry.providers["stripe"].event_types)


def _show(status: connection.ConnectionStatus) -> None:
    if not status.connected:
        click.echo(f"store {status.store_id}: not connected to Stripe")
        return
    mode = "live" if status.livemode else "test"
    click.echo(f"store {status.store_id}: connected to Stripe ({mode} mode)")
    click.echo(f"  account:   {status.account_id or '(not readable with this key)'}")
    click.echo(f"  endpoint:  {status.endpoint_id}")
    click.echo(f"  URL:       {status.webhook_url}")
    if status.rolling_until:
        click.echo(
            f"  rolling:   old secret accepted until {status.rolling_until:%Y-%m-%d %H:%M} UTC"
        )


COMMANDS = [stripe_group]
