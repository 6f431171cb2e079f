"""Accounts the store connected with API credentials, encrypted at rest, and the calls
still owed to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Text, false
from sqlmodel import Column, Field, SQLModel

from shopsync.clock import utcnow


class StripeConnection(SQLModel, table=True):
    """A store's Stripe API key for one mode and the webhook endpoint registered with it.

    A store may hold a test-mode and a live-mode connection side by side (Stripe keeps
    the two modes apart: their keys, endpoints and secrets are separate).
    """

    __tablename__ = "stripe_connection"

    store_id: int = Field(foreign_key="store.id", primary_key=True)
    livemode: bool = Field(primary_key=True)
    # Fernet-encrypted with SECRET_KEY (see stores.encryption).
    api_key_encrypted: str
    # The signing secrets of this connection's endpoints at Stripe, newest first, as an
    # encrypted JSON list (two while a roll is under way). The store's Stripe endpoint
    # accepts every connection's secrets.
    secrets_encrypted: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
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


class PlatformConnection(SQLModel, table=True):
    """A store platform account (WooCommerce, Shopify) and the webhooks made there."""

    __tablename__ = "platform_connection"

    store_id: int = Field(foreign_key="store.id", primary_key=True)
    provider: str = Field(max_length=40, primary_key=True)
    # The WooCommerce site URL, or the shop's myshopify.com domain.
    site: str = Field(max_length=255)
    # The API credentials as an encrypted JSON object (never shown again in full).
    credentials_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    # The platform's ids of the webhooks shopsync created, as JSON {topic: id}.
    webhooks: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    connected_at: datetime = Field(default_factory=utcnow)


class LineItemFetch(SQLModel, table=True):
    """A Checkout order whose line items are still to be read from Stripe.

    Written with the order; a job reads the items after the commit, and the relay retries
    what is due (a lost job, Stripe down), so an order never waits on a wake-up alone.
    """

    __tablename__ = "line_item_fetch"
    __table_args__ = (Index("ix_line_item_fetch_due", "next_attempt_at"),)

    order_id: int = Field(foreign_key="orders.id", primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    # The Checkout Session (`cs_...`) and which mode's key reads it.
    session_id: str = Field(max_length=255)
    livemode: bool
    attempts: int = 0
    next_attempt_at: datetime
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class MailchimpConnection(SQLModel, table=True):
    """A store's Mailchimp account: its API key, the audience it syncs, the webhook there."""

    __tablename__ = "mailchimp_connection"

    # One account per store.
    store_id: int = Field(foreign_key="store.id", primary_key=True)
    # Fernet-encrypted with SECRET_KEY (see stores.encryption); `<hex>-<dc>`.
    api_key_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    # The data centre (`us21`): the part of the key after the dash, checked when saved.
    server: str = Field(max_length=20)
    # The audience (Mailchimp's list) whose members are the store's marketing contacts.
    audience_id: str = Field(max_length=100)
    audience_name: str | None = Field(default=None, max_length=200)
    # Mailchimp's id of the audience webhook shopsync registered (None while connecting).
    webhook_id: str | None = Field(default=None, max_length=100)
    # New members from checkouts are added as `pending` (Mailchimp mails a confirmation)
    # rather than `subscribed`.
    double_opt_in: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # The Mailchimp e-commerce store shopsync syncs orders to (None until made).
    ecommerce_store_id: str | None = Field(default=None, max_length=100)
    connected_at: datetime = Field(default_factory=utcnow)
