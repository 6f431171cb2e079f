"""The webhook inbox: one durable row per delivered event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from shopsync.clock import utcnow


class EventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSING = "processing"
    RETRY = "retry"
    PARKED = "parked"
    PROCESSED = "processed"
    IGNORED = "ignored"
    UNPROCESSABLE = "unprocessable"
    DEAD = "dead"


# What a redacted row's payload becomes: an empty object, so nothing can read it back.
REDACTED_PAYLOAD = "{}"

FINAL_STATUSES = frozenset(
    {EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.UNPROCESSABLE, EventStatus.DEAD}
)


class WebhookEvent(SQLModel, table=True):
    """A verified delivery; the unique key makes redeliveries collapse into one row."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("store_id", "provider", "event_id", name="uq_webhook_event_delivery"),
        Index("ix_webhook_event_status_due", "status", "next_attempt_at"),
        Index("ix_webhook_event_parked", "store_id", "waiting_for"),
        # Finds the rows whose payload is still kept, oldest first (see pipeline/redaction.py).
        Index("ix_webhook_event_retention", "redacted_at", "received_at"),
        # The admin's per-store lists and its "last hour" counts.
        Index("ix_webhook_event_store_received", "store_id", "received_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    provider: str = Field(max_length=40)
    event_id: str = Field(max_length=255)
    event_type: str = Field(max_length=120)
    occurred_at: datetime
    received_at: datetime = Field(default_factory=utcnow)
    # The raw body exactly as signed, so a replay sees what the provider sent; replaced
    # by REDACTED_PAYLOAD once personal data must go (after retention, or on request).
    payload: str = Field(sa_column=Column(Text, nullable=False))
    redacted_at: datetime | None = None
    status: str = Field(default=EventStatus.RECEIVED, max_length=20)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # Where a failed attempt failed: the handler, and a traceback without any messages.
    failed_handler: str | None = Field(default=None, max_length=200)
    failure_trace: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A worker owns a `processing` row until this time; after it the relay takes it back.
    claimed_until: datetime | None = None
    next_attempt_at: datetime | None = None
    processed_at: datetime | None = None
    # For `parked` rows: the wait key the event is waiting for (see shopsync.waits).
    waiting_for: str | None = Field(default=None, max_length=255)
