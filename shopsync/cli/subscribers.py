"""`shopsync store add-subscriber` and friends: the store's systems that get order webhooks."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click
from sqlmodel import Session

from shopsync.cli.project import open_project
from shopsync.outbox.http import TargetPolicy
from shopsync.stores import subscribers
from shopsync.stores.subscribers import EVENT_TYPES, InvalidSubscriber

T = TypeVar("T")


@click.command("add-subscriber")
@click.argument("store_id", type=int)
@click.argument("url")
@click.option(
    "--events",
    default="*",
    show_default=True,
    help=f"Comma-separated: {', '.join(EVENT_TYPES)}; or * for all.",
)
def add_subscriber(store_id: int, url: str, events: str) -> None:
    """Send STORE_ID's order webhooks to URL, signed with a new secret (shown once)."""
    rt = open_project()
    try:
        created = subscribers.add_subscriber(
            rt.engine,
            rt.vault,
            store_id=store_id,
            url=url,
            event_types=subscribers.parse_event_types(events),
            policy=TargetPolicy(rt.settings.webhook_targets),
        )
    except InvalidSubscriber as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"subscriber {created.id}: {created.url}")
    click.echo(f"  events: {', '.join(created.event_types)}")
    click.echo(f"  signing secret (shown once, verify with Standard Webhooks): {created.secret}")


@click.command("subscribers")
@click.argument("store_id", type=int)
def list_subscribers(store_id: int) -> None:
    """List STORE_ID's subscribers and whether they are receiving."""
    rt = open_project()
    with Session(rt.engine) as session:
        found = subscribers.subscribers_of(session, store_id)
    if not found:
        click.echo(f"store {store_id} has no subscribers (add one with `store add-subscriber`)")
    for subscriber in found:
        state = "enabled" if subscriber.enabled else f"disabled: {subscriber.disabled_reason}"
        failing = (
            f", failing since {subscriber.failing_since:%Y-%m-%d %H:%M}"
            if (subscriber.failing_since)
            else ""
        )
        click.echo(
            f"{subscriber.id:>5}  {subscriber.url}  [{subscriber.event_types}]  {state}{failing}"
        )


@click.command("roll-subscriber-secret")
@click.argument("store_id", type=int)
@click.argument("subscriber_id", type=int)
def roll_secret(store_id: int, subscriber_id: int) -> None:
    """Start signing with a new secret; the previous one keeps signing until the next roll."""
    rt = open_project()
    secret = _run(
        lambda: subscribers.roll_secret(
            rt.engine, rt.vault, store_id=store_id, subscriber_id=subscriber_id
        )
    )
    click.echo(f"new signing secret (shown once): {secret}")
    click.echo("deliveries carry both signatures until you run roll-subscriber-secret again")


@click.command("enable-subscriber")
@click.argument("store_id", type=int)
@click.argument("subscriber_id", type=int)
def enable(store_id: int, subscriber_id: int) -> None:
    """Deliver to a subscriber again (after it was disabled by you or by failures)."""
    rt = open_project()
    _run(
        lambda: subscribers.set_enabled(
            rt.engine, store_id=store_id, subscriber_id=subscriber_id, enabled=True
        )
    )
    click.echo(f"subscriber {subscriber_id} enabled")


@click.command("disable-subscriber")
@click.argument("store_id", type=int)
@click.argument("subscriber_id", type=int)
def disable(store_id: int, subscriber_id: int) -> None:
    """Stop delivering to a subscriber; messages for it are skipped, not queued."""
    rt = open_project()
    _run(
        lambda: subscribers.set_enabled(
            rt.engine, store_id=store_id, subscriber_id=subscriber_id, enabled=False
        )
    )
    click.echo(f"subscriber {subscriber_id} disabled")


@click.command("remove-subscriber")
@click.argument("store_id", type=int)
@click.argument("subscriber_id", type=int)
def remove(store_id: int, subscriber_id: int) -> None:
    """Remove a subscriber for good."""
    rt = open_project()
    _run(
        lambda: subscribers.remove_subscriber(
            rt.engine, store_id=store_id, subscriber_id=subscriber_id
        )
    )
    click.echo(f"subscriber {subscriber_id} removed")


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except InvalidSubscriber as error:
        raise click.ClickException(str(error)) from None


# Added to the `store` group by shopsync.cli.
STORE_COMMANDS = [add_subscriber, list_subscribers, roll_secret, enable, disable, remove]
COMMANDS: list[click.Command] = []
