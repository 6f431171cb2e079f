"""Customers: one per store and email address, with the provider ids that point at them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, UniqueConstraint, false, true
from sqlmodel import Column, Field, SQLModel

from shopsync.clock import utcnow


class Customer(SQLModel, table=True):
    """A person who buys from the store, and what they agreed to hear from it."""

    __table_args__ = (UniqueConstraint("store_id", "email", name="uq_customer_email"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    # Lower-cased; unique within the store.
    email: str = Field(max_length=320)
    name: str | None = Field(default=None, max_length=200)
    # When a provider last said this address is the customer's, by the provider's clock:
    # an older snapshot never moves the customer back to a previous address.
    email_at: datetime | None = None
    # Order emails (confirmed, shipped, ...): on unless the store turns them off.
    transactional_email: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=true())
    )
    # Marketing: only what the customer gave, as of `marketing_consent_at` (provider clock).
    marketing_consent: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    marketing_consent_at: datetime | None = None
    # Which provider said so last ("shopify", "stripe", later "mailchimp").
    marketing_consent_source: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow)


class CustomerIdentity(SQLModel, table=True):
    """A provider's id for a customer (Stripe `cus_...`, a Shopify or WooCommerce id)."""

    __tablename__ = "customer_identity"
    __table_args__ = (
        UniqueConstraint("store_id", "provider", "external_id", name="uq_customer_identity"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    provider: str = Field(max_length=40)
    external_id: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
