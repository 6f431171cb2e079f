"""Writing outbox messages: inside the change's own transaction, once per key.

The domain calls `post` with a unit of work; the row commits or vanishes with the change
that caused it, and its unique idempotency key makes a replayed or duplicated cause a
no-op. Nothing is sent here: `outbox.delivery` does that after commit.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from shopsync.claims import ClaimableTable
from shopsync.clock import utcnow
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus
from shopsync.models.limits import column_limit
from shopsync.work import UnitOfWork, on_finished

table = OutboxMessage.__table__  # type: ignore[attr-defined]

OUTBOX = ClaimableTable(
    table=table,
    ready=OutboxStatus.PENDING.value,
    working=OutboxStatus.SENDING.value,
    retry=OutboxStatus.RETRY.value,
)
# How long a new message waits for its wake-up before the relay pushes it itself.
WAKE_GRACE = timedelta(seconds=30)


PENDING_KEY = "shopsync.outbox_pending"
WRITTEN_KEY = "shopsync.outbox_written"


def post(
    work: UnitOfWork,
    *,
    kind: OutboxKind,
    key: str,
    target: str,
    summary: str,
    payload: dict[str, Any],
    order_id: int | None = None,
) -> None:
    """Write a message unless one with `key` exists, in the work's transaction.

    The row is written with the others of its transaction in one statement: when the
    work finishes (`UnitOfWork.finish`), or, for the worker's chunk of events, when the
    chunk ends (`write_pending`). Ids of rows written are in `work.posted` after that.
    """
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
    pending: list[dict[str, Any]] = work.session.info.setdefault(PENDING_KEY, [])
    pending.append(values)


def write_pending(session: OrmSession) -> list[int]:
    """Write the transaction's posted rows in one statement; the ids of the new ones.

    A key posted twice, or already in the table, is written once (the first wins).
    Code that reads or changes outbox rows in a transaction calls this first.
    """
    first_by_key: dict[str, dict[str, Any]] = {}
    for row in session.info.pop(PENDING_KEY, []):
        first_by_key.setdefault(row["idempotency_key"], row)
    rows = list(first_by_key.values())
    if not rows:
        return []
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.id)
    )
    ids = sorted(session.execute(statement).scalars())
    written: list[int] = session.info.setdefault(WRITTEN_KEY, [])
    written.extend(ids)
    return ids


def discard_pending(session: Session) -> None:
    """Forget rows posted by work that was rolled back (to a savepoint)."""
    session.info.pop(PENDING_KEY, None)


def written_ids(session: Session) -> list[int]:
    """Every row `write_pending` wrote in this session (to wake their senders)."""
    return list(session.info.get(WRITTEN_KEY, []))


@event.listens_for(Session, "do_orm_execute")
def _write_before_outbox_statements(state: ORMExecuteState) -> None:
    """Any statement on the outbox in the same session sees the rows posted so far.

    Like the ORM's autoflush: code that reads outbox rows (was this message written?)
    or changes them (erasure) needs no call of its own.
    """
    session = state.session
    if not session.info.get(PENDING_KEY):
        return
    statement = state.statement
    on_table = getattr(statement, "table", None) is table
    if on_table or any(mapper.class_ is OutboxMessage for mapper in state.all_mappers):
        write_pending(session)


def _write_at_finish(work: UnitOfWork) -> None:
    if not work.defer_outbox:
        work.posted.extend(write_pending(work.session))


on_finished(_write_at_finish)
