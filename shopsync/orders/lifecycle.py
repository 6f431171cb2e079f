"""The order state machine.

An order has independent dimensions that only move forward:

    payment      awaiting_payment → payment_failed → paid → partially_refunded → refunded
    fulfillment  unfulfilled → partially_shipped → shipped → out_for_delivery → delivered
    canceled     false → true (sticky)      disputed  false → true (sticky)

Its visible `state` is derived: canceled, else refunded, else the fulfillment stage once
anything shipped, else partially_refunded, else the payment stage. Because every
dimension is monotonic (and refunds take the maximum reported), any permutation of the
same events ends in the same state.
"""

from __future__ import annotations

from enum import StrEnum

from shopsync.models import Order


class Payment(StrEnum):
    AWAITING = "awaiting_payment"
    FAILED = "payment_failed"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class Fulfillment(StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"


PAYMENT_ORDER = list(Payment)
FULFILLMENT_ORDER = list(Fulfillment)
CANCELED = "canceled"

MILESTONE_MESSAGES = {
    "created": "Order received",
    Payment.FAILED.value: "Payment failed",
    Payment.PAID.value: "Payment received",
    Payment.PARTIALLY_REFUNDED.value: "Partially refunded",
    Payment.REFUNDED.value: "Refunded",
    Fulfillment.PARTIALLY_SHIPPED.value: "Part of the order has shipped",
    Fulfillment.SHIPPED.value: "Shipped",
    Fulfillment.OUT_FOR_DELIVERY.value: "Out for delivery",
    Fulfillment.DELIVERED.value: "Delivered",
    CANCELED: "Order canceled",
    "disputed": "Payment disputed",
    "dispute_won": "Dispute resolved in the store's favour",
    "dispute_lost": "Dispute lost",
    "needs_attention": "Needs the store's attention",
}


def advance_payment(order: Order, target: Payment) -> bool:
    """Move payment forward to `target`; returns whether it moved."""
    if PAYMENT_ORDER.index(target) <= PAYMENT_ORDER.index(Payment(order.payment_status)):
        return False
    order.payment_status = target.value
    return True


def advance_fulfillment(order: Order, target: Fulfillment) -> bool:
    if FULFILLMENT_ORDER.index(target) <= FULFILLMENT_ORDER.index(
        Fulfillment(order.fulfillment_status)
    ):
        return False
    order.fulfillment_status = target.value
    return True


def derive_state(order: Order) -> str:
    if order.canceled:
        return CANCELED
    if order.payment_status == Payment.REFUNDED:
        return Payment.REFUNDED.value
    if order.fulfillment_status != Fulfillment.UNFULFILLED:
        return order.fulfillment_status
    return order.payment_status
