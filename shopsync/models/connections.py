"""Accounts the store connected with an API key (Stripe), encrypted at rest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class StripeConnection(SQLModel, table=True):
    """A store's Stripe API key and the webhook endpoint shopsync registered with it."""

    __tablename__ = "stripe_connection"

    store_id: int = Field(foreign_key="store.id", primary_key=True)
    # Fernet-encrypted with SECRET_KEY (see stores.encryption).
    api_key_encrypted: str
    livemode: bool
    account_id: str | None = Field(default=None, max_length=255)
    # Stripe's `we_...` id of the endpoint shopsync registered (None while connecting).
    endpoint_id: str | None = Field(default=None, max_length=255)
    # While a secret is rolled: the old endpoint, deleted (and its secret dropped) then.
    previous_endpoint_id: str | None = Field(default=None, max_length=255)
    previous_until: datetime | None = None
    # The idempotency key of an endpoint creation not known to have finished: a retry
    # within Stripe's 24 hours gets the same endpoint and secret back.
    pending_key: str | None = Field(default=None, max_length=100)
    pending_since: datetime | None = None
    connected_at: datetime = Field(default_factory=utcnow)
