"""`shopsync outbox`: what shopsync sent, is sending, or gave up on."""

from __future__ import annotations

import json

import click
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.cli.project import open_project, require_redis
from shopsync.models import Order, OutboxKind, OutboxMessage, OutboxStatus
from shopsync.outbox.channels.email import InvalidEmail, build_message
from shopsync.outbox.jobs import wake_senders
from shopsync.outbox.rows import OUTBOX

KIND_CHOICES = click.Choice([kind.value for kind in OutboxKind])
STATUS_CHOICES = click.Choice([status.value for status in OutboxStatus])
REPLAYABLE = (OutboxStatus.DEAD, OutboxStatus.FAILED, OutboxStatus.SKIPPED, OutboxStatus.SENT)


@click.group()
def outbox() -> None:
    """List, inspect and replay messages: emails, store webhooks, Mailchimp calls."""


@outbox.command("list")
@click.option("--kind", type=KIND_CHOICES, help="Only messages of this kind.")
@click.option("--status", type=STATUS_CHOICES, help="Only messages with this status.")
@click.option("--order", "order_id", help="Only messages about this order (the store's order id).")
@click.option("--limit", default=50, show_default=True)
def list_messages(kind: str | None, status: str | None, order_id: str | None, limit: int) -> None:
    rt = open_project()
    statement = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if kind:
        statement = statement.where(OutboxMessage.kind == kind)
    if status:
        statement = statement.where(OutboxMessage.status == status)
    if order_id:
        orders = select(Order.id).where(Order.external_id == order_id)
        statement = statement.where(col(OutboxMessage.order_id).in_(orders))
    with Session(rt.engine) as session:
        for message in session.exec(statement):
            click.echo(
                f"{message.id:>8}  {message.kind:<13} {message.status:<8} "
                f"{message.attempts:>2}x  {message.summary[:50]:<50} "
                f"{message.created_at:%Y-%m-%d %H:%M:%S}"
            )
            if message.status in (OutboxStatus.FAILED, OutboxStatus.DEAD) and message.last_result:
                click.echo(f"{'':>10}{message.last_result}")


@outbox.command("show")
@click.argument("message_id", type=int)
@click.option("--raw", is_flag=True, help="An email as the exact bytes sent (MIME).")
def show_message(message_id: int, raw: bool) -> None:
    """Print a message's record and what it carries (an email: the message itself)."""
    rt = open_project()
    with Session(rt.engine) as session:
        message = session.get(OutboxMessage, message_id)
    if message is None:
        raise click.ClickException(f"no outbox message {message_id}")
    for name in (
        "id",
        "store_id",
        "kind",
        "status",
        "target",
        "summary",
        "order_id",
        "cause",
        "attempts",
        "redeliveries",
        "last_result",
        "created_at",
        "sent_at",
        "next_attempt_at",
    ):
        click.echo(f"{name:<16}{getattr(message, name)}")
    if message.kind == OutboxKind.EMAIL:
        _show_email(message, raw=raw)
    else:
        click.echo(json.dumps(json.loads(message.payload), indent=2))


def _show_email(message: OutboxMessage, *, raw: bool) -> None:
    """The message the channel sends, built by the channel's own code."""
    try:
        email = build_message(message)
    except InvalidEmail as error:
        raise click.ClickException(str(error)) from None
    click.echo("")
    if raw:
        click.echo(email.as_bytes().decode(errors="replace"))
        return
    for header in ("From", "To", "Reply-To", "Subject", "Date", "Message-ID"):
        if email[header]:
            click.echo(f"{header}: {email[header]}")
    for subtype in ("plain", "html"):
        part = email.get_body(preferencelist=(subtype,))
        click.echo(f"\n--- text/{subtype} ---")
        content = part.get_content() if part is not None else ""
        click.echo(content.replace("\r\n", "\n"))


@outbox.command("replay")
@click.argument("message_id", type=int, required=False)
@click.option(
    "--status",
    type=click.Choice([status.value for status in REPLAYABLE]),
    help="Send again every message with this status.",
)
def replay(message_id: int | None, status: str | None) -> None:
    """Send a message again (receivers dedupe on its unchanged message id)."""
    if (message_id is None) == (status is None):
        raise click.UsageError("give a MESSAGE_ID or --status")
    rt = open_project()
    ids = [message_id] if message_id is not None else _ids_with_status(rt.engine, status or "")
    require_redis(rt)  # before changing anything: a replay nobody wakes would just sit there
    reset = OUTBOX.reset(rt.engine, ids, grace=rt.settings.relay_grace)
    wake_senders(rt.redis, reset)
    click.echo(f"queued {len(reset)} messages")


def _ids_with_status(engine: Engine, status: str) -> list[int]:
    with Session(engine) as session:
        statement = select(OutboxMessage.id).where(OutboxMessage.status == status)
        return [i for i in session.exec(statement) if i is not None]


COMMANDS = [outbox]
