"""After `shopsync simulate`, tell the developer which emails the event queued."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine, func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from shopsync.models import EventStatus, OutboxKind, OutboxMessage, WebhookEvent

WAIT_SECONDS = 5.0
# Events still on their way through a worker.
UNSETTLED = (EventStatus.RECEIVED, EventStatus.PROCESSING)


class MailWatch:
    """Remembers where the inbox and outbox stood before an event was sent."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        try:
            self._events = self._last(WebhookEvent.id)
            self._emails = self._last(OutboxMessage.id)
        except SQLAlchemyError:  # another instance's database, or none: no hint
            self._events = self._emails = -1

    def queued(self) -> list[OutboxMessage]:
        """Emails the new events wrote, once a worker has worked them (a few seconds at most)."""
        if self._events < 0:
            return []
        deadline = time.monotonic() + WAIT_SECONDS
        while self._unsettled() and time.monotonic() < deadline:
            time.sleep(0.2)
        statement = select(OutboxMessage).where(
            col(OutboxMessage.id) > self._emails, OutboxMessage.kind == OutboxKind.EMAIL.value
        )
        with Session(self._engine) as session:
            return list(session.exec(statement.order_by(col(OutboxMessage.id))))

    def _unsettled(self) -> bool:
        statement = select(func.count()).where(
            col(WebhookEvent.id) > self._events, col(WebhookEvent.status).in_(UNSETTLED)
        )
        with Session(self._engine) as session:
            return bool(session.exec(statement).one())

    def _last(self, column: Any) -> int:
        with Session(self._engine) as session:
            last: int | None = session.exec(select(func.max(column))).one()
            return last or 0
