"""Subscriptions, whose status decides a customer's access, and the access last told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Text, UniqueConstraint, false
from sqlmodel import Column, Field, SQLModel

from shopsync.clock import utcnow


class Subscription(SQLModel, table=True):
    """A provider's subscription as last reported, by the provider's own clock.

    Two facts are kept apart, each with its own clock, so that any arrival order of the
    same events ends in the same row: the subscription's snapshot (status, items,
    periods, cancellation, pause) from `customer.subscription.*` events, and the outcome
    of its newest invoice from `invoice.*` events.
    """

    __table_args__ = (
        UniqueConstraint("store_id", "external_id", name="uq_subscription_external"),
        Index("ix_subscription_customer", "customer_id"),
        Index("ix_subscription_customer_ref", "store_id", "customer_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    external_id: str = Field(max_length=255)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    # The provider's id for the customer (`cus_...`): links the row once the customer
    # (who needs an address) is known.
    customer_ref: str | None = Field(default=None, max_length=255)
    status: str = Field(max_length=30)
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    # The provider's time of the snapshot applied (event `created`); older snapshots are stale.
    last_event_at: datetime | None = None
    # Orders snapshots of the same second (see subscriptions.records.snapshot_rank).
    snapshot_rank: str | None = Field(default=None, max_length=120)
    # The first item's price lookup key (else its price or plan id); items as JSON.
    plan: str | None = Field(default=None, max_length=255)
    quantity: int | None = None
    items: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    trial_end: datetime | None = None
    cancel_at_period_end: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    # Payment collection paused: `keep_as_draft`, `mark_uncollectible` or `void`.
    pause_behavior: str | None = Field(default=None, max_length=30)
    pause_resumes_at: datetime | None = None
    latest_invoice: str | None = Field(default=None, max_length=255)
    # The newest invoice (by its own `created`, then id) and how it ended.
    invoice_id: str | None = Field(default=None, max_length=255)
    invoice_created: datetime | None = None
    # "paid", "failed" or "action_required"; paid is final for an invoice.
    invoice_outcome: str | None = Field(default=None, max_length=20)
    # The provider's time of that outcome (the newest event saying it).
    invoice_at: datetime | None = None
    # The first failed payment of that invoice: where the grace period starts.
    failed_since: datetime | None = None
    # The end of the period the paid invoice covers.
    paid_through: datetime | None = None
    hosted_invoice_url: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerAccess(SQLModel, table=True):
    """What the store's systems were last told about a customer's access, and when to look again."""

    __tablename__ = "customer_access"
    __table_args__ = (Index("ix_customer_access_next_check", "next_check_at"),)

    customer_id: int = Field(foreign_key="customer.id", primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    access: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    status: str | None = Field(default=None, max_length=30)
    plan: str | None = Field(default=None, max_length=255)
    features: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    until: datetime | None = None
    grace_until: datetime | None = None
    # When the answer changes by time alone (a grace or period end): checked then.
    next_check_at: datetime | None = None
    # Increments with every change told; part of each push's idempotency key.
    version: int = 0
    changed_at: datetime | None = None
    # Stripe Entitlements: the customer's active entitlement summary (lookup keys, JSON)
    # as of `entitlements_at` (provider clock); None until one arrives.
    entitlements: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    entitlements_at: datetime | None = None
