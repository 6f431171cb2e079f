"""The closed vocabularies order rows are written in: stages, milestones, parcel statuses.

Each is stored as its string value; the domain (shopsync.orders) decides how they move.
"""

from __future__ import annotations

from enum import StrEnum


class Payment(StrEnum):
    AWAITING = "awaiting_payment"
    # A bank debit (SEPA, ACH) is on its way: it takes days to succeed or fail.
    PROCESSING = "payment_processing"
    FAILED = "payment_failed"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Fulfillment(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"


class Milestone(StrEnum):
    """What an order's timeline can record, once each."""

    CREATED = "created"
    PAYMENT_PROCESSING = "payment_processing"
    PAYMENT_FAILED = "payment_failed"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    # Money said to be going back did not: the refunded amount went down.
    REFUND_FAILED = "refund_failed"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    # A shipment that counted was cancelled (Shopify) or its tracking removed (WooCommerce).
    SHIPMENT_CANCELED = "shipment_canceled"
    RETURN_STARTED = "return_started"
    CANCELED = "canceled"
    # The source that canceled the order took the cancel back.
    RESTORED = "restored"
    EDITED = "edited"
    DISPUTED = "disputed"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    NEEDS_ATTENTION = "needs_attention"
    CHECKOUT_EXPIRED = "checkout_expired"
    DATA_REQUESTED = "data_requested"


class RefundStatus(StrEnum):
    """Where one refund stands; only pending and succeeded ones count as money going back."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED = "returned"
    # A carrier status shopsync does not know: recorded, never ranked.
    UNKNOWN = "unknown"


class SubscriptionStatus(StrEnum):
    """Stripe's subscription statuses, as stored."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


class InvoiceOutcome(StrEnum):
    """How a subscription's newest invoice stands; paid is final for that invoice."""

    PAID = "paid"
    FAILED = "failed"
    ACTION_REQUIRED = "action_required"
