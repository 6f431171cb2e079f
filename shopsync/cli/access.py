"""`shopsync access` and `shopsync store access`: customers' access and the store's rules."""

from __future__ import annotations

import json

import click

from shopsync.cli.project import open_project
from shopsync.clock import utcnow
from shopsync.subscriptions.queries import BadLookup, access_answer, lookup_for
from shopsync.subscriptions.store_rules import (
    FEATURE_SOURCES,
    InvalidAccessSetting,
    update_access_settings,
)


@click.group("access")
def access() -> None:
    """Customers' access from their subscriptions."""


@access.command("show")
@click.argument("store_id", type=int)
@click.option("--email", help="The customer's email address.")
@click.option("--customer", help="The customer's Stripe id (cus_...).")
def show(store_id: int, email: str | None, customer: str | None) -> None:
    """The access answer the API gives for one customer, now."""
    rt = open_project()
    try:
        lookup = lookup_for(email=email, customer=customer)
    except BadLookup as error:
        raise click.ClickException(str(error)) from None
    answer = access_answer(rt.engine, store_id=store_id, lookup=lookup, now=utcnow())
    click.echo(json.dumps(answer, indent=2))


@click.command("access")
@click.argument("store_id", type=int)
@click.option("--grace-days", type=int, help="Days past_due keeps access after a failed payment.")
@click.option("--features", type=click.Choice(FEATURE_SOURCES), help="Where features come from.")
def store_access(store_id: int, grace_days: int | None, features: str | None) -> None:
    """Show or change STORE_ID's access rules (grace period, feature source)."""
    rt = open_project()
    try:
        settings = update_access_settings(
            rt.engine, store_id=store_id, grace_days=grace_days, features=features
        )
    except InvalidAccessSetting as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"store {store_id} access")
    click.echo(f"  grace:     {settings.access_grace_days} days after a failed payment")
    click.echo(f"  features:  {settings.features_source}")


# `store access` is added to the `store` group by shopsync.cli.
STORE_COMMANDS = [store_access]
COMMANDS = [access]
