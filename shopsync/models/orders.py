"""Orders and everything that hangs off an order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow
from shopsync.models.vocabulary import (
    Fulfillment,
    Milestone,
    Payment,
    RefundStatus,
    ShipmentStatus,
)


class Order(SQLModel, table=True):
    """An order as the store knows it; amounts are integers in the currency's minor unit."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("store_id", "external_id", name="uq_order_external"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    external_id: str = Field(max_length=255)
    # The unguessable token in the customer's status page URL.
    public_token: str = Field(max_length=64, unique=True)
    number: str | None = Field(default=None, max_length=64)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    # Where the order's emails go: the address given with the order (Shopify's may differ
    # from its customer's).
    email: str | None = Field(default=None, max_length=320)
    currency: str | None = Field(default=None, max_length=3)
    total_amount: int | None = None
    # The provider's own time of the newest order snapshot applied: number, email, total
    # and items follow only snapshots at least this new (see shopsync.orders.orders).
    source_updated_at: datetime | None = None
    # What that newest snapshot said about fulfilment and the money refunded (None: it
    # said nothing); the dimensions are recomputed from these and the per-object rows.
    claimed_fulfillment: Fulfillment | None = Field(default=None, sa_type=String(30))
    claimed_refunded: int | None = None
    # `state` is derived from the dimensions (see shopsync.orders.lifecycle).
    state: str = Field(default="awaiting_payment", max_length=30)
    payment_status: Payment = Field(default=Payment.AWAITING, sa_type=String(30))
    fulfillment_status: Fulfillment = Field(default=Fulfillment.UNFULFILLED, sa_type=String(30))
    # The payment provider's id for the payment (a Stripe PaymentIntent), to find the
    # order from refunds and disputes that carry no order id.
    payment_reference: str | None = Field(default=None, max_length=255, index=True)
    paid_amount: int = 0
    # The newest word on the payment attempt (processing, failed; paid is final), by the
    # provider's clock.
    payment_attempt: Payment | None = Field(default=None, sa_type=String(30))
    payment_attempt_at: datetime | None = None
    refunded_amount: int = 0
    canceled: bool = False
    # The provider's time of the newest cancel or restore statement: an older one loses.
    canceled_changed_at: datetime | None = None
    disputed: bool = False
    dispute_status: str | None = Field(default=None, max_length=30)
    needs_attention: str | None = Field(default=None, max_length=300)
    # Where the customer can pay again after a failed payment (WooCommerce's `payment_url`).
    payment_url: str | None = Field(default=None, max_length=1000)
    # Grows with every change, so receivers of order webhooks can drop stale ones.
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class OrderLineItem(SQLModel, table=True):
    __tablename__ = "order_line_item"

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    name: str = Field(max_length=300)
    sku: str | None = Field(default=None, max_length=120)
    quantity: int = 1
    unit_amount: int | None = None


class Shipment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "external_id", name="uq_shipment_external"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    external_id: str = Field(max_length=255)
    carrier: str | None = Field(default=None, max_length=120)
    tracking_number: str | None = Field(default=None, max_length=120)
    tracking_url: str | None = Field(default=None, max_length=1000)
    status: ShipmentStatus = Field(default=ShipmentStatus.IN_TRANSIT, sa_type=String(30))
    estimated_delivery: datetime | None = None
    # Carries only part of the order.
    partial: bool = False
    # Cancelled (a Shopify fulfilment, a removed WooCommerce tracking number): it no
    # longer counts towards the order's fulfilment, and stays cancelled.
    canceled: bool = False
    # A parcel coming back to the store (an EasyPost return tracker), not the order's.
    is_return: bool = False
    # The provider's time of the newest store update, and of the statement each detail
    # (carrier, link, ETA, ...) and the cancel came from (see shopsync.orders.parcels).
    source_updated_at: datetime | None = None
    field_times: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class Refund(SQLModel, table=True):
    """One refund by its provider id, so a redelivered refund is counted once.

    `external_id` starts with its source (`stripe:refund:re_1`, `shopify:refund:9`);
    a `cumulative` row is a source's running total instead (`stripe:charge:ch_1`, Stripe's
    `amount_refunded`). The status is the newest by the provider's clock.
    """

    __table_args__ = (UniqueConstraint("store_id", "external_id", name="uq_refund_external"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    external_id: str = Field(max_length=255)
    amount: int
    status: RefundStatus = Field(default=RefundStatus.SUCCEEDED, sa_type=String(30))
    cumulative: bool = False
    # When the provider made the refund, and the time of the status held.
    source_created_at: datetime | None = None
    source_updated_at: datetime | None = None


class TimelineEntry(SQLModel, table=True):
    """A milestone in an order's life and what caused it (a webhook event, an admin, ...)."""

    __tablename__ = "timeline_entry"
    __table_args__ = (UniqueConstraint("order_id", "milestone", name="uq_timeline_milestone"),)

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    order_id: int = Field(foreign_key="orders.id", index=True)
    milestone: Milestone = Field(sa_type=String(60))
    message: str = Field(max_length=300)
    webhook_event_id: int | None = Field(default=None, foreign_key="webhook_event.id")
    # The cause's label (`webhook:42`, `admin:owner@example.com`, `cli:...`, `schedule:...`).
    cause: str | None = Field(default=None, max_length=120)
    occurred_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
