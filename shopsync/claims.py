"""Rows that workers claim: the life cycle the inbox and the outbox share.

A claimable table has `status`, `attempts`, `claimed_until` and `next_attempt_at`. A row
is *ready* (just written), *working* (claimed by one worker until `claimed_until`), or
waiting to *retry* at `next_attempt_at`; what its final statuses are is the table's own
business. Every change here is one conditional UPDATE, so two workers (or a worker and
the relay) never both own a row and no read-then-write can race:

- `claim` takes ready, retrying and abandoned rows (claim expired) and counts an attempt;
- `release` hands claimed rows back untouched (a worker shutting down);
- `take_due` finds rows whose wake-up was lost, whose retry is due or whose claim
  expired, and pushes their `next_attempt_at` forward in the same statement, so relays
  running at once hand each row out once per grace period;
- `reset` makes finished rows workable again (replay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, or_, select, true, update

from shopsync.clock import utcnow
from shopsync.db import alone


@dataclass(frozen=True)
class ClaimableTable:
    """A table's claimable rows and the statuses that play each part."""

    table: Table
    ready: str
    working: str
    retry: str

    def claimable(self) -> ColumnElement[bool]:
        """Rows a worker may take now: ready, retrying, or abandoned by a lost worker."""
        c = self.table.c
        return or_(
            c.status.in_([self.ready, self.retry]),
            and_(c.status == self.working, c.claimed_until < utcnow()),
        )

    def claim(
        self, engine: Engine, ids: Sequence[int], *, lease: timedelta, **extra: Any
    ) -> list[int]:
        """Take ownership of those rows that are free to work; returns the ids now owned."""
        if not ids:
            return []
        c = self.table.c
        statement = (
            update(self.table)
            .where(c.id.in_(list(ids)), self.claimable())
            .values(
                status=self.working,
                claimed_until=utcnow() + lease,
                attempts=c.attempts + 1,
                **extra,
            )
            .returning(c.id)
        )
        with alone(engine) as connection:
            return sorted(connection.execute(statement).scalars())

    def release(self, engine: Engine, ids: Sequence[int]) -> None:
        """Hand claimed rows back untouched: the attempt is not counted."""
        if not ids:
            return
        c = self.table.c
        statement = (
            update(self.table)
            .where(c.id.in_(list(ids)), c.status == self.working)
            .values(
                status=self.ready,
                claimed_until=None,
                attempts=c.attempts - 1,
                next_attempt_at=utcnow(),
            )
        )
        with alone(engine) as connection:
            connection.execute(statement)

    def due(self) -> ColumnElement[bool]:
        c = self.table.c
        now = utcnow()
        return or_(
            and_(c.status.in_([self.ready, self.retry]), c.next_attempt_at <= now),
            and_(c.status == self.working, c.claimed_until < now),
        )

    def take_due(self, engine: Engine, *, grace: timedelta, limit: int = 1000) -> list[int]:
        """Rows whose wake-up was lost, whose retry is due, or whose claim expired."""
        c = self.table.c
        due = self.due()
        candidates = select(c.id).where(due).order_by(c.id).limit(limit)
        statement = (
            update(self.table)
            .where(c.id.in_(candidates.scalar_subquery()), due)
            .values(next_attempt_at=utcnow() + grace)
            .returning(c.id)
        )
        with alone(engine) as connection:
            return sorted(connection.execute(statement).scalars())

    def reset(
        self,
        engine: Engine,
        ids: Sequence[int],
        *,
        grace: timedelta,
        extra: Mapping[str, Any] | None = None,
        only: ColumnElement[bool] | None = None,
    ) -> list[int]:
        """Make rows that no worker holds workable again, attempts from zero.

        `only` narrows which rows may be reset; `extra` clears the table's own columns.
        """
        if not ids:
            return []
        c = self.table.c
        statement = (
            update(self.table)
            .where(
                c.id.in_(list(ids)), c.status != self.working, only if only is not None else true()
            )
            .values(
                status=self.ready,
                attempts=0,
                claimed_until=None,
                next_attempt_at=utcnow() + grace,
                **(extra or {}),
            )
            .returning(c.id)
        )
        with alone(engine) as connection:
            return sorted(connection.execute(statement).scalars())
