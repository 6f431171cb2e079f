"""Numbers about the outbox for /metrics and the admin: how much waits, and for how long."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlmodel import col

from shopsync.clock import utcnow
from shopsync.models import OutboxMessage, OutboxStatus

WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.RETRY)


@dataclass(frozen=True)
class OutboxStats:
    by_kind_and_status: list[tuple[str, str, int]]
    oldest_waiting_seconds: float
    # Messages taken again after their sender was lost mid-send: possible doubles.
    redeliveries: int


def outbox_stats(engine: Engine) -> OutboxStats:
    counts = select(col(OutboxMessage.kind), col(OutboxMessage.status), func.count()).group_by(
        col(OutboxMessage.kind), col(OutboxMessage.status)
    )
    oldest = select(func.min(OutboxMessage.created_at)).where(
        col(OutboxMessage.status).in_([s.value for s in WAITING])
    )
    doubles = select(func.coalesce(func.sum(OutboxMessage.redeliveries), 0))
    with engine.connect() as connection:
        rows = [(str(k), str(s), int(n)) for k, s, n in connection.execute(counts)]
        first = connection.execute(oldest).scalar()
        redeliveries = int(connection.execute(doubles).scalar() or 0)
    age = 0.0
    if first is not None:
        first = first if first.tzinfo else first.replace(tzinfo=utcnow().tzinfo)
        age = max(0.0, (utcnow() - first).total_seconds())
    return OutboxStats(rows, age, redeliveries)
