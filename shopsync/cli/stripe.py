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
            events=connection.handled_events(),
        )
    _show(status)
    click.echo("the endpoint's signing secret is stored; Stripe now sends events to the URL above")


MODE = click.option(
    "--mode",
    type=click.Choice(["live", "test"]),
    help="Which connection, when the store has a test and a live one.",
)


@stripe_group.command("status")
@click.argument("store_id", type=int)
def status(store_id: int) -> None:
    """Whether the store is connected (test and live mode), to which account, its endpoint."""
    rt = open_project()
    with _refusals():
        for found in connection.statuses(
            services(), store_id=store_id, public_url=rt.settings.public_url
        ):
            _show(found)


@stripe_group.command("disconnect")
@click.argument("store_id", type=int)
@MODE
def disconnect(store_id: int, mode: str | None) -> None:
    """Delete shopsync's endpoint at Stripe and forget the API key."""
    rt = open_project()
    with _refusals():
        live = connection.pick_mode(rt.engine, store_id, _live(mode))
        deleted = connection.disconnect(services(), store_id=store_id, livemode=live)
    click.echo(
        f"store {store_id} disconnected from Stripe ({connection.mode_name(live)} mode); "
        f"endpoints deleted at Stripe: {len(deleted)}"
    )


@stripe_group.command("roll-secret")
@click.argument("store_id", type=int)
@MODE
@click.option("--finish", is_flag=True, help="End a roll now: delete the old endpoint.")
def roll_secret(store_id: int, mode: str | None, finish: bool) -> None:
    """A new signing secret; the old one keeps verifying for a day, then goes."""
    rt = open_project()
    with _refusals():
        live = connection.pick_mode(rt.engine, store_id, _live(mode))
        if finish:
            old = connection.finish_roll(services(), store_id=store_id, livemode=live)
            click.echo(f"old endpoint {old} deleted" if old else "no roll under way")
            return
        require_redis(rt)
        until = connection.roll_secret(
            services(),
            store_id=store_id,
            livemode=live,
            public_url=rt.settings.public_url,
            events=connection.handled_events(),
        )
    schedule_finish(store_id, live, until)
    click.echo(
        f"new endpoint registered; the old secret is accepted until {until:%Y-%m-%d %H:%M} UTC, "
        "then the old endpoint is deleted (a worker does it; or run this with --finish)"
    )


def _live(mode: str | None) -> bool | None:
    return None if mode is None else mode == "live"


def _show(status: connection.ConnectionStatus) -> None:
    if not status.connected:
        click.echo(f"store {status.store_id}: not connected to Stripe in {status.mode} mode")
        return
    click.echo(f"store {status.store_id}: connected to Stripe ({status.mode} mode)")
    click.echo(f"  account:   {status.account_id or '(not readable with this key)'}")
    click.echo(f"  endpoint:  {status.endpoint_id}")
    click.echo(f"  URL:       {status.webhook_url}")
    if status.rolling_until:
        click.echo(
            f"  rolling:   old secret accepted until {status.rolling_until:%Y-%m-%d %H:%M} UTC"
        )


COMMANDS = [stripe_group]
