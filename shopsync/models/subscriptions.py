"""Subscriptions, whose status decides a customer's access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class Subscription(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "external_id", name="uq_subscription_external"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    external_id: str = Field(max_length=255)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    status: str = Field(max_length=30)
    current_period_end: datetime | None = None
    # The provider's time of the newest event applied; older events are stale.
    last_event_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
