"""`shopsync events`: the operator's view of the inbox."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.cli.project import open_project, require_redis
from shopsync.models import EventStatus, WebhookEvent
from shopsync.pipeline import inbox, jobs, redaction

STATUS_CHOICES = click.Choice([status.value for status in EventStatus])
# Rows whose status alone does not say why: their reason is shown in the list.
EXPLAINED_STATUSES = frozenset({EventStatus.IGNORED, EventStatus.UNPROCESSABLE})


@click.group()
def events() -> None:
    """List, inspect and replay webhook events."""


@events.command("list")
@click.option("--status", type=STATUS_CHOICES, help="Only events with this status.")
@click.option("--limit", default=50, show_default=True)
def list_events(status: str | None, limit: int) -> None:
    """The newest events; ignored and unprocessable ones say why."""
    rt = open_project()
    statement = select(WebhookEvent).order_by(col(WebhookEvent.id).desc()).limit(limit)
    if status:
        statement = statement.where(WebhookEvent.status == status)
    with Session(rt.engine) as session:
        for event in session.exec(statement):
            reason = event.last_error if event.status in EXPLAINED_STATUSES else None
            click.echo(
                f"{event.id:>8}  {event.status:<13} {event.provider:<12} "
                f"{event.event_type:<40} {event.received_at:%Y-%m-%d %H:%M:%S}"
                + (f"  {reason}" if reason else "")
            )


@events.command("show")
@click.argument("event_id", type=int)
@click.option("--payload", is_flag=True, help="Also print the stored payload.")
def show_event(event_id: int, payload: bool) -> None:
    rt = open_project()
    with Session(rt.engine) as session:
        event = session.get(WebhookEvent, event_id)
    if event is None:
        raise click.ClickException(f"no event {event_id}")
    for name in (
        "id",
        "store_id",
        "provider",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_error",
        "occurred_at",
        "received_at",
        "processed_at",
        "waiting_for",
        "redacted_at",
    ):
        click.echo(f"{name:<13} {getattr(event, name)}")
    if payload:
        click.echo("(payload redacted)" if event.redacted_at else event.payload)


@events.command("replay")
@click.argument("event_id", type=int, required=False)
@click.option("--status", type=STATUS_CHOICES, help="Replay every event with this status.")
def replay(event_id: int | None, status: str | None) -> None:
    """Run the handlers again; effects stay exactly-once (handlers are idempotent)."""
    if event_id is None and status is None:
        raise click.UsageError("give an EVENT_ID or --status")
    if event_id is not None and status is not None:
        raise click.UsageError("give an EVENT_ID or --status, not both")
    rt = open_project()
    # Reset rows only once their wake-up can be sent: a failing replay changes nothing.
    require_redis(rt)
    ids = [event_id] if event_id is not None else _ids_with_status(rt.engine, status or "")
    reset = inbox.reset_for_replay(rt.engine, ids, grace=rt.settings.relay_grace)
    if reset:
        jobs.wake_workers(rt.redis, reset)
    skipped = len(ids) - len(reset)
    note = f" ({skipped} redacted or being worked, left as they are)" if skipped else ""
    click.echo(f"queued {len(reset)} events for replay{note}")


@events.command("redact")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    default=None,
    help="Days since receipt (default: SHOPSYNC_RETENTION_DAYS; 0 redacts every finished event).",
)
def redact(days: int | None) -> None:
    """Replace the payloads of finished events older than the retention period by {}."""
    rt = open_project()
    days = rt.settings.retention_days if days is None else days
    count = redaction.redact_expired(rt.engine, older_than=timedelta(days=days))
    click.echo(f"redacted the payloads of {count} finished events received over {days} days ago")


def _ids_with_status(engine: Engine, status: str) -> list[int]:
    with Session(engine) as session:
        statement = select(WebhookEvent.id).where(WebhookEvent.status == status)
        return [i for i in session.exec(statement) if i is not None]


COMMANDS = [events]
