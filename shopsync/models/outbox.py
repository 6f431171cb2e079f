"""The outbox: every message shopsync sends, written with the change that causes it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String, Text
from sqlmodel import Column, Field, SQLModel

from shopsync.clock import utcnow


class OutboxKind(StrEnum):
    """Which channel sends a message."""

    EMAIL = "email"
    STORE_WEBHOOK = "store_webhook"
    MAILCHIMP = "mailchimp"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    # The destination refused it for good (an unknown mailbox, a receiver's abort).
    FAILED = "failed"
    # Every attempt failed.
    DEAD = "dead"
    # Not sent on purpose: superseded, consent withdrawn, destination disabled.
    SKIPPED = "skipped"


OUTBOX_FINAL_STATUSES = frozenset(
    {OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.DEAD, OutboxStatus.SKIPPED}
)


class OutboxMessage(SQLModel, table=True):
    """One message to send, once per idempotency key, however often its cause is replayed."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_order", "order_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    kind: OutboxKind = Field(sa_type=String(20))
    # Unique: a duplicated or replayed cause never writes a second message.
    idempotency_key: str = Field(max_length=255, unique=True)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=String(20))
    # Where it goes: a subscriber id, an email address, an audience.
    target: str = Field(max_length=320)
    # A line a person can read in a list ("order.paid", an email's subject).
    summary: str = Field(max_length=300)
    # What the channel needs to build the message, as JSON.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    order_id: int | None = Field(default=None, foreign_key="orders.id")
    cause: str | None = Field(default=None, max_length=120)
    attempts: int = 0
    # Times a sender was lost mid-send (its claim expired): the one window for a double send.
    redeliveries: int = 0
    claimed_until: datetime | None = None
    next_attempt_at: datetime | None = None
    # How the last attempt ended ("HTTP 200", "timed out", "550 no such mailbox").
    last_result: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
