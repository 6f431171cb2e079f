"""Stores and the webhook endpoints that deliver into them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow


class Store(SQLModel, table=True):
    """A shop whose orders shopsync keeps; everything else hangs off one."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Live stores ignore Stripe test-mode events; the demo store accepts both.
    livemode: bool = True
    # The store's Stripe account when it is a Connect account (`acct_...`): Connect
    # events for any other account are ignored.
    stripe_account_id: str | None = Field(default=None, max_length=255)
    # sha256 of the store's API key; the key itself is shown once at creation.
    api_key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class WebhookEndpoint(SQLModel, table=True):
    """One provider's delivery URL for one store, with the secrets it accepts."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    provider: str = Field(max_length=40)
    # Lookups go by the key's sha256 so the URL secret is never compared directly.
    key_hash: str = Field(max_length=64, unique=True)
    # Fernet-encrypted with SECRET_KEY: the URL key (to show it again) and a JSON
    # list of signing secrets, newest first (several while a secret is rolled).
    key_encrypted: str
    secrets_encrypted: str
    # The provider account this endpoint serves, when the provider names one in its
    # deliveries (a Shopify shop's myshopify.com domain); None accepts any.
    account_ref: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
