"""Inbox rows through their life: recorded once, claimed by one worker, finished once.

Every state change is a single conditional UPDATE, so two workers (or a worker and the
relay) can never both own a row, and no read-then-write can race. Claiming, handing
back, finding due rows and resetting are the outbox's too (shopsync.claims); what is the
inbox's own is here: recording a delivery, its outcomes, parking on wait keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import ModuleType

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shopsync.claims import ClaimableTable
from shopsync.clock import utcnow
from shopsync.db import single_statement
from shopsync.models import EventStatus, WebhookEvent
from shopsync.pipeline.registry import Delivery

ERROR_TEXT_LIMIT = 500
TRACE_TEXT_LIMIT = 4000

table = WebhookEvent.__table__  # type: ignore[attr-defined]
# The claim machinery every worked table shares (shopsync.claims): received rows are
# ready, processing ones claimed, retry ones wait for their time.
INBOX = ClaimableTable(
    table=table,
    ready=EventStatus.RECEIVED.value,
    working=EventStatus.PROCESSING.value,
    retry=EventStatus.RETRY.value,
)


def record(
    engine: Engine,
    *,
    store_id: int,
    provider: str,
    delivery: Delivery,
    grace: timedelta,
) -> int | None:
    """Insert the delivery; returns the new row id, or None when it was already recorded."""
    now = utcnow()
    values = {
        "store_id": store_id,
        "provider": provider,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "occurred_at": delivery.occurred_at,
        "received_at": now,
        "payload": delivery.payload_text,
        "status": EventStatus.RECEIVED.value,
        "attempts": 0,
        # When the relay should consider the wake-up lost and push the row again.
        "next_attempt_at": now + grace,
    }
    # One statement, so autocommit is as durable as a transaction and saves the
    # BEGIN and COMMIT round trips on the hottest path.
    with single_statement(engine).connect() as connection:
        row_id: int | None = connection.execute(
            _RECORD_STATEMENTS[engine.dialect.name], values
        ).scalar_one_or_none()
        connection.commit()
    return row_id


def _record_statement(dialect: ModuleType):  # type: ignore[no-untyped-def]
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect."""
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=["store_id", "provider", "event_id"])
        .returning(table.c.id)
    )


_RECORD_STATEMENTS = {
    "postgresql": _record_statement(postgresql),
    "sqlite": _record_statement(sqlite),
}


def due_now(engine: Engine, event_id: int) -> None:
    """Let the relay's next pass take this row (its wake-up could not be sent)."""
    statement = (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.RECEIVED.value)
        .values(next_attempt_at=utcnow())
    )
    with engine.begin() as connection:
        connection.execute(statement)


def claim(engine: Engine, ids: Sequence[int], *, lease: timedelta) -> list[int]:
    """Take ownership of those rows that are free to work; returns the ids now owned."""
    return INBOX.claim(engine, ids, lease=lease)


def release(engine: Engine, ids: Sequence[int]) -> None:
    """Hand claimed rows back untouched (the worker is shutting down)."""
    INBOX.release(engine, ids)


def finish_statement(event_id: int, status: EventStatus, reason: str | None = None):  # type: ignore[no-untyped-def]
    """The UPDATE that ends a claimed row; run inside the handlers' own transaction."""
    return (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.PROCESSING.value)
        .values(**_finished(status, reason))
    )


def finish_many_statement(event_ids: Sequence[int]):  # type: ignore[no-untyped-def]
    """Mark claimed rows processed in one statement."""
    return (
        update(table)
        .where(table.c.id.in_(list(event_ids)), table.c.status == EventStatus.PROCESSING.value)
        .values(**_finished(EventStatus.PROCESSED, None))
    )


def _finished(status: EventStatus, reason: str | None) -> dict[str, object]:
    """A finished row: its outcome and when, no failure, claim, retry or wait left."""
    return {
        "status": status.value,
        "last_error": _clip(reason),
        "failed_handler": None,
        "failure_trace": None,
        "processed_at": utcnow(),
        "claimed_until": None,
        "next_attempt_at": None,
        "waiting_for": None,
    }


def park_statement(event_id: int, waiting_for: str):  # type: ignore[no-untyped-def]
    return (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=EventStatus.PARKED.value,
            waiting_for=waiting_for,
            claimed_until=None,
            next_attempt_at=None,
        )
    )


def fail_statement(  # type: ignore[no-untyped-def]
    event_id: int,
    error: str,
    *,
    retry_at: datetime | None,
    handler: str | None = None,
    trace: str | None = None,
):
    """A failed attempt: back to `retry` at `retry_at`, or `dead` when None."""
    status = EventStatus.RETRY if retry_at is not None else EventStatus.DEAD
    return (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=status.value,
            last_error=_clip(error),
            failed_handler=None if handler is None else handler[:200],
            failure_trace=None if trace is None else trace[:TRACE_TEXT_LIMIT],
            claimed_until=None,
            next_attempt_at=retry_at,
        )
    )


def take_due(engine: Engine, *, grace: timedelta, limit: int = 1000) -> list[int]:
    """Rows whose wake-up was lost, whose retry is due, or whose claim expired."""
    return INBOX.take_due(engine, grace=grace, limit=limit)


def unpark_statement(store_id: int, keys: Sequence[str], *, grace: timedelta):  # type: ignore[no-untyped-def]
    """Parked rows waiting on any of these keys become ready; RETURNING their ids."""
    return (
        update(table)
        .where(
            table.c.store_id == store_id,
            table.c.status == EventStatus.PARKED.value,
            table.c.waiting_for.in_(list(keys)),
        )
        .values(
            status=EventStatus.RECEIVED.value,
            waiting_for=None,
            next_attempt_at=utcnow() + grace,
        )
        .returning(table.c.id)
    )


def parked_keys(engine: Engine, *, limit: int = 1000) -> dict[int, list[str]]:
    """The keys parked rows wait on, by store (what the relay asks the domain about)."""
    statement = (
        select(table.c.store_id, table.c.waiting_for)
        .where(table.c.status == EventStatus.PARKED.value, table.c.waiting_for.is_not(None))
        .distinct()
        .limit(limit)
    )
    keys: dict[int, list[str]] = {}
    with engine.connect() as connection:
        for store_id, key in connection.execute(statement):
            keys.setdefault(store_id, []).append(key)
    return keys


def unpark(engine: Engine, store_id: int, keys: Sequence[str]) -> list[int]:
    """Parked rows waiting on these keys become due at once; returns their ids."""
    if not keys:
        return []
    with engine.begin() as connection:
        ids = connection.execute(unpark_statement(store_id, keys, grace=timedelta(0))).scalars()
        return sorted(ids)


def reset_for_replay(engine: Engine, ids: Sequence[int], *, grace: timedelta) -> list[int]:
    """Make finished rows workable again; their handlers are idempotent by design.

    A redacted row's effects stay, but it cannot run again: its handlers would see `{}`.
    """
    cleared = {
        "last_error": None,
        "failed_handler": None,
        "failure_trace": None,
        "waiting_for": None,
    }
    return INBOX.reset(engine, ids, grace=grace, extra=cleared, only=table.c.redacted_at.is_(None))


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_TEXT_LIMIT]
