"""Inbox rows through their life: recorded once, claimed by one worker, finished once.

Every state change is a single conditional UPDATE, so two workers (or a worker and the
relay) can never both own a row, and no read-then-write can race.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import ModuleType

from sqlalchemy import Engine, and_, exists, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from shopsync.clock import utcnow
from shopsync.db import single_statement
from shopsync.models import EventStatus, Order, Shipment, WebhookEvent
from shopsync.pipeline.registry import Delivery

RELAY_GRACE = timedelta(seconds=30)
# Parked rows wait on an order id, or on this prefix + a payment id (see orders.py).
PAYMENT_KEY_PREFIX = "payment:"
# ... or on this prefix + an upper-cased tracking number (see shipping.py).
TRACKING_KEY_PREFIX = "tracking:"
ERROR_TEXT_LIMIT = 500

table = WebhookEvent.__table__  # type: ignore[attr-defined]


def record(
    engine: Engine,
    *,
    store_id: int,
    provider: str,
    delivery: Delivery,
    grace: timedelta = RELAY_GRACE,
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
    if not ids:
        return []
    now = utcnow()
    claimable = or_(
        table.c.status.in_([EventStatus.RECEIVED.value, EventStatus.RETRY.value]),
        and_(table.c.status == EventStatus.PROCESSING.value, table.c.claimed_until < now),
    )
    statement = (
        update(table)
        .where(table.c.id.in_(list(ids)), claimable)
        .values(
            status=EventStatus.PROCESSING.value,
            claimed_until=now + lease,
            attempts=table.c.attempts + 1,
        )
        .returning(table.c.id)
    )
    with engine.begin() as connection:
        return sorted(connection.execute(statement).scalars())


def release(engine: Engine, ids: Sequence[int]) -> None:
    """Hand claimed rows back untouched (the worker is shutting down)."""
    if not ids:
        return
    statement = (
        update(table)
        .where(table.c.id.in_(list(ids)), table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=EventStatus.RECEIVED.value,
            claimed_until=None,
            attempts=table.c.attempts - 1,
            next_attempt_at=utcnow(),
        )
    )
    with engine.begin() as connection:
        connection.execute(statement)


def finish_statement(event_id: int, status: EventStatus, reason: str | None = None):  # type: ignore[no-untyped-def]
    """The UPDATE that ends a claimed row; run inside the handlers' own transaction."""
    return (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=status.value,
            last_error=_clip(reason),
            processed_at=utcnow(),
            claimed_until=None,
            next_attempt_at=None,
            waiting_for=None,
        )
    )


def finish_many_statement(event_ids: Sequence[int]):  # type: ignore[no-untyped-def]
    """Mark claimed rows processed in one statement."""
    return (
        update(table)
        .where(table.c.id.in_(list(event_ids)), table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=EventStatus.PROCESSED.value,
            last_error=None,
            processed_at=utcnow(),
            claimed_until=None,
            next_attempt_at=None,
            waiting_for=None,
        )
    )


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


def fail_statement(event_id: int, error: str, *, retry_at: datetime | None):  # type: ignore[no-untyped-def]
    """A failed attempt: back to `retry` at `retry_at`, or `dead` when None."""
    status = EventStatus.RETRY if retry_at is not None else EventStatus.DEAD
    return (
        update(table)
        .where(table.c.id == event_id, table.c.status == EventStatus.PROCESSING.value)
        .values(
            status=status.value,
            last_error=_clip(error),
            claimed_until=None,
            next_attempt_at=retry_at,
        )
    )


def take_due(engine: Engine, *, grace: timedelta = RELAY_GRACE, limit: int = 1000) -> list[int]:
    """Rows whose wake-up was lost, whose retry is due, or whose claim expired.

    Each returned row's `next_attempt_at` is pushed forward in the same statement, so
    several relays running at once hand each row out once per grace period.
    """
    now = utcnow()
    due = or_(
        and_(
            table.c.status.in_([EventStatus.RECEIVED.value, EventStatus.RETRY.value]),
            table.c.next_attempt_at <= now,
        ),
        and_(table.c.status == EventStatus.PROCESSING.value, table.c.claimed_until < now),
    )
    candidates = select(table.c.id).where(due).order_by(table.c.id).limit(limit)
    statement = (
        update(table)
        .where(table.c.id.in_(candidates.scalar_subquery()), due)
        .values(next_attempt_at=now + grace)
        .returning(table.c.id)
    )
    with engine.begin() as connection:
        return sorted(connection.execute(statement).scalars())


def unpark_statement(store_id: int, keys: Sequence[str]):  # type: ignore[no-untyped-def]
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
            next_attempt_at=utcnow() + RELAY_GRACE,
        )
        .returning(table.c.id)
    )


def unpark_ready(engine: Engine) -> int:
    """Parked rows whose order has since appeared become ready (covers a creation race)."""
    orders = Order.__table__  # type: ignore[attr-defined]
    order_exists = exists().where(
        orders.c.store_id == table.c.store_id,
        or_(
            orders.c.external_id == table.c.waiting_for,
            literal(PAYMENT_KEY_PREFIX) + orders.c.payment_reference == table.c.waiting_for,
        ),
    )
    shipments = Shipment.__table__  # type: ignore[attr-defined]
    tracking_known = exists().where(
        shipments.c.store_id == table.c.store_id,
        literal(TRACKING_KEY_PREFIX) + func.upper(shipments.c.tracking_number)
        == table.c.waiting_for,
    )
    statement = (
        update(table)
        .where(table.c.status == EventStatus.PARKED.value, or_(order_exists, tracking_known))
        .values(status=EventStatus.RECEIVED.value, next_attempt_at=utcnow(), waiting_for=None)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def reset_for_replay(engine: Engine, ids: Sequence[int]) -> list[int]:
    """Make finished rows workable again; their handlers are idempotent by design."""
    statement = (
        update(table)
        .where(table.c.id.in_(list(ids)), table.c.status != EventStatus.PROCESSING.value)
        .values(
            status=EventStatus.RECEIVED.value,
            attempts=0,
            last_error=None,
            claimed_until=None,
            waiting_for=None,
            next_attempt_at=utcnow() + RELAY_GRACE,
        )
        .returning(table.c.id)
    )
    with engine.begin() as connection:
        return sorted(connection.execute(statement).scalars())


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:ERROR_TEXT_LIMIT]
