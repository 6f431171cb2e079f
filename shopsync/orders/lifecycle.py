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

from shopsync.models import Order
from shopsync.models.vocabulary import Fulfillment, Milestone, Payment

__all__ = ["Fulfillment", "Milestone", "Payment", "advance_fulfillment", "advance_payment"]

PAYMENT_ORDER = list(Payment)
FULFILLMENT_ORDER = list(Fulfillment)
CANCELED = Milestone.CANCELED.value

MILESTONE_MESSAGES = {
    Milestone.CREATED: "Order received",
    Milestone.PAYMENT_FAILED: "Payment failed",
    Milestone.PAID: "Payment received",
    Milestone.PARTIALLY_REFUNDED: "Partially refunded",
    Milestone.REFUNDED: "Refunded",
    Milestone.PARTIALLY_SHIPPED: "Part of the order has shipped",
    Milestone.SHIPPED: "Shipped",
    Milestone.OUT_FOR_DELIVERY: "Out for delivery",
    Milestone.DELIVERED: "Delivered",
    Milestone.CANCELED: "Order canceled",
    Milestone.DISPUTED: "Payment disputed",
    Milestone.DISPUTE_WON: "Dispute resolved in the store's favour",
    Milestone.DISPUTE_LOST: "Dispute lost",
    Milestone.NEEDS_ATTENTION: "Needs the store's attention",
    Milestone.CHECKOUT_EXPIRED: "Checkout expired unpaid",
    Milestone.DATA_REQUESTED: "The customer asked for the data kept about them",
}


def advance_payment(order: Order, target: Payment) -> bool:
    """Move payment forward to `target`; returns whether it moved."""
    if PAYMENT_ORDER.index(target) <= PAYMENT_ORDER.index(Payment(order.payment_status)):
        return False
    order.payment_status = target
    return True


def advance_fulfillment(order: Order, target: Fulfillment) -> bool:
    if FULFILLMENT_ORDER.index(target) <= FULFILLMENT_ORDER.index(
        Fulfillment(order.fulfillment_status)
    ):
        return False
    order.fulfillment_status = target
    return True


def derive_state(order: Order) -> str:
    if order.canceled:
        return CANCELED
    if order.payment_status == Payment.REFUNDED:
        return Payment.REFUNDED.value
    if order.fulfillment_status != Fulfillment.UNFULFILLED:
        return order.fulfillment_status
    return order.payment_status
