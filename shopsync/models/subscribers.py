"""The store's own systems that hear about its orders through signed webhooks."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class StoreSubscriber(SQLModel, table=True):
    """A URL of the store's that receives Standard Webhooks for the events it chose."""

    __tablename__ = "store_subscriber"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    url: str = Field(max_length=1000)
    # Comma-separated event types, or "*" for all of them.
    event_types: str = Field(default="*", max_length=1000)
    # Fernet-encrypted JSON list of `whsec_` secrets, newest first (several while rolling).
    secrets_encrypted: str
    enabled: bool = True
    disabled_reason: str | None = Field(default=None, max_length=300)
    # Since when every delivery has failed; None after any success.
    failing_since: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
