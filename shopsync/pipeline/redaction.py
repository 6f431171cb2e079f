"""Redacting stored webhook payloads: after the retention period, and on request.

Payloads hold names, emails and addresses; the inbox keeps them only as long as they
are useful. Policy, in one place:

- A finished row (processed, ignored, unprocessable, dead) keeps its payload for
  `SHOPSYNC_RETENTION_DAYS` after it was received; then the payload becomes `{}` and
  `redacted_at` is set. The row stays with its status, ids, type, times and error, so
  the inbox still says what happened and when; a redacted row can no longer be replayed.
  Rows still to be worked (received, retry, parked) keep their payload: it is the work.
- The relay runs a pass at most once per PASS_INTERVAL_SECONDS across all workers, in
  batches of BATCH_SIZE rows, each batch its own short transaction; `shopsync events
  redact` runs one by hand.
- On a customer's erasure request the store's finished rows mentioning that customer's
  orders or email are redacted at once, whatever their age. On a shop's erasure request
  every row of the store is, and rows not worked yet are marked `ignored` so nothing
  brings back what was erased. Rows a worker holds at that moment are left to it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, case, func, or_, select, update
from sqlmodel import Session

from shopsync.clock import utcnow
from shopsync.models import EventStatus, WebhookEvent
from shopsync.models.inbox import FINAL_STATUSES, REDACTED_PAYLOAD
from shopsync.runtime import Runtime

BATCH_SIZE = 1000
MAX_BATCHES_PER_PASS = 50
PASS_INTERVAL_SECONDS = 3600
RETENTION_LOCK_KEY = "shopsync:retention:running"
REDACTED_ON_REQUEST = "payload redacted on request before it was worked"

table = WebhookEvent.__table__  # type: ignore[attr-defined]
_FINAL = [status.value for status in FINAL_STATUSES]


def redact_if_due(rt: Runtime) -> int:
    """The relay's retention pass, unless another worker ran one within the interval."""
    if not rt.redis.set(RETENTION_LOCK_KEY, 1, nx=True, ex=PASS_INTERVAL_SECONDS):
        return 0
    return redact_expired(
        rt.engine,
        older_than=timedelta(days=rt.settings.retention_days),
        batches=MAX_BATCHES_PER_PASS,
    )


def redact_expired(engine: Engine, *, older_than: timedelta, batches: int | None = None) -> int:
    """Redact finished rows received more than `older_than` ago; returns how many."""
    cutoff = utcnow() - older_than
    redacted = 0
    done = 0
    while batches is None or done < batches:
        with engine.begin() as connection:
            count = connection.execute(_redact_expired_batch(cutoff)).rowcount
        redacted += count
        done += 1
        if count < BATCH_SIZE:
            break
    return redacted


def redact_mentions(
    session: Session, store_id: int, *, order_ids: Sequence[str], email: str | None
) -> int:
    """Redact the store's finished rows that mention these orders or this email."""
    needles = [*order_ids, *([email] if email else [])]
    if not needles:
        return 0
    lowered = func.lower(table.c.payload)
    candidates = session.execute(
        _unredacted(store_id, table.c.status.in_(_FINAL))
        .add_columns(table.c.payload)
        .where(or_(*(lowered.contains(n.lower(), autoescape=True) for n in needles)))
    ).all()
    # LIKE found the text anywhere; keep the rows naming an order id as a whole token
    # (order 1001 is not in 21001) or holding the email.
    pattern = _mention_pattern(order_ids, email)
    ids = [row.id for row in candidates if pattern.search(row.payload)]
    if ids:
        session.execute(_redact(table.c.id.in_(ids)))
    return len(ids)


def redact_store(session: Session, store_id: int) -> int:
    """Redact every row of the store but those a worker holds; returns how many."""
    wanted = table.c.status != EventStatus.PROCESSING.value
    ids = list(session.execute(_unredacted(store_id, wanted)).scalars())
    if ids:
        session.execute(_redact(table.c.id.in_(ids)))
    return len(ids)


def _unredacted(store_id: int, wanted: ColumnElement[bool]):  # type: ignore[no-untyped-def]
    return select(table.c.id).where(
        table.c.store_id == store_id, table.c.redacted_at.is_(None), wanted
    )


def _redact_expired_batch(cutoff: datetime):  # type: ignore[no-untyped-def]
    oldest = (
        select(table.c.id)
        .where(
            table.c.redacted_at.is_(None),
            table.c.received_at < cutoff,
            table.c.status.in_(_FINAL),
        )
        .order_by(table.c.received_at)
        .limit(BATCH_SIZE)
    )
    return _redact(table.c.id.in_(oldest.scalar_subquery()))


def _redact(which: ColumnElement[bool]):  # type: ignore[no-untyped-def]
    """Replace payloads; a row not finished yet is `ignored` from now on."""
    finished = table.c.status.in_(_FINAL)
    now = utcnow()
    return (
        update(table)
        .where(
            which,
            table.c.redacted_at.is_(None),
            table.c.status != EventStatus.PROCESSING.value,
        )
        .values(
            payload=REDACTED_PAYLOAD,
            redacted_at=now,
            status=case((finished, table.c.status), else_=EventStatus.IGNORED.value),
            last_error=case((finished, table.c.last_error), else_=REDACTED_ON_REQUEST),
            processed_at=case((finished, table.c.processed_at), else_=now),
            next_attempt_at=case((finished, table.c.next_attempt_at), else_=None),
            waiting_for=case((finished, table.c.waiting_for), else_=None),
        )
    )


def _mention_pattern(order_ids: Sequence[str], email: str | None) -> re.Pattern[str]:
    tokens = [rf"(?<![0-9A-Za-z]){re.escape(order_id)}(?![0-9A-Za-z])" for order_id in order_ids]
    if email:
        tokens.append(re.escape(email))
    return re.compile("|".join(tokens), re.IGNORECASE)
