"""Writing outbox messages: inside the change's own transaction, once per key.

The domain calls `post` with a unit of work; the row commits or vanishes with the change
that caused it, and its unique idempotency key makes a replayed or duplicated cause a
no-op. Nothing is sent here: `outbox.delivery` does that after commit.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from shopsync.claims import ClaimableTable
from shopsync.clock import utcnow
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus
from shopsync.models.limits import column_limit
from shopsync.work import UnitOfWork

table = OutboxMessage.__table__  # type: ignore[attr-defined]

OUTBOX = ClaimableTable(
    table=table,
    ready=OutboxStatus.PENDING.value,
    working=OutboxStatus.SENDING.value,
    retry=OutboxStatus.RETRY.value,
)
# How long a new message waits for its wake-up before the relay pushes it itself.
WAKE_GRACE = timedelta(seconds=30)


def post(
    work: UnitOfWork,
    *,
    kind: OutboxKind,
    key: str,
    target: str,
    summary: str,
    payload: dict[str, Any],
    order_id: int | None = None,
) -> int | None:
    """Write a message unless one with `key` exists; returns the new id or None."""
    now = utcnow()
    values = {
        "store_id": work.store_id,
        "kind": kind.value,
        "idempotency_key": key[: column_limit(OutboxMessage, "idempotency_key")],
        "status": OutboxStatus.PENDING.value,
        "target": target[: column_limit(OutboxMessage, "target")],
        "summary": summary[: column_limit(OutboxMessage, "summary")],
        "payload": json.dumps(payload, separators=(",", ":"), sort_keys=True),
        "order_id": order_id,
        "cause": work.cause.label,
        "attempts": 0,
        "redeliveries": 0,
        "created_at": now,
        "next_attempt_at": now + WAKE_GRACE,
    }
    dialect = postgresql if work.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    message_id: int | None = work.session.execute(statement).scalar_one_or_none()
    if message_id is not None:
        work.posted.append(message_id)
    return message_id
