"""The notification ledger: at most one message per (order, transition)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    # e.g. "order:42:shipped"; the unique index is what makes sending exactly-once.
    idempotency_key: str = Field(max_length=200, unique=True)
    channel: str = Field(default="email", max_length=20)
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
