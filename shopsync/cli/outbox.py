"""`shopsync outbox`: what shopsync sent, is sending, or gave up on."""

from __future__ import annotations

import json

import click
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.cli.project import open_project, require_redis
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus
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
@click.option("--limit", default=50, show_default=True)
def list_messages(kind: str | None, status: str | None, limit: int) -> None:
    rt = open_project()
    statement = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if kind:
        statement = statement.where(OutboxMessage.kind == kind)
    if status:
        statement = statement.where(OutboxMessage.status == status)
    with Session(rt.engine) as session:
        for message in session.exec(statement):
            click.echo(
                f"{message.id:>8}  {message.kind:<13} {message.status:<8} "
                f"{message.attempts:>2}x  {message.summary[:50]:<50} "
                f"{message.created_at:%Y-%m-%d %H:%M:%S}"
            )


@outbox.command("show")
@click.argument("message_id", type=int)
def show_message(message_id: int) -> None:
    """Print a message's record and what it carries."""
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
    click.echo(json.dumps(json.loads(message.payload), indent=2))


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
