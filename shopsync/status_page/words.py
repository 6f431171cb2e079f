"""What the customer reads: the order's state, payment, parcels and milestones in plain words.

Only milestones a customer takes part in are shown, always in these words, never the
stored message (which may carry the store's internal reasons); disputes, checkout
expiries and "needs attention" flags are the store's business.
"""

from __future__ import annotations

from shopsync.models.vocabulary import Fulfillment, Milestone, Payment, ShipmentStatus

HEADLINES: dict[str, str] = {
    Payment.AWAITING: "Awaiting payment",
    Payment.PROCESSING: "Payment on its way",
    Payment.FAILED: "Payment failed",
    Payment.PARTIALLY_PAID: "Partly paid",
    Payment.PAID: "Paid",
    Payment.PARTIALLY_REFUNDED: "Partly refunded",
    Payment.REFUNDED: "Refunded",
    Fulfillment.PARTIALLY_SHIPPED: "Partly shipped",
    Fulfillment.SHIPPED: "Shipped",
    Fulfillment.OUT_FOR_DELIVERY: "Out for delivery",
    Fulfillment.DELIVERED: "Delivered",
    Milestone.CANCELED: "Canceled",
}

SENTENCES: dict[str, str] = {
    Payment.AWAITING: "We're waiting for your payment to come through.",
    Payment.PROCESSING: "Your bank payment is on its way; bank transfers take a few days.",
    Payment.FAILED: "Your payment didn't go through.",
    Payment.PARTIALLY_PAID: "Part of your payment is in; the rest is still to come.",
    Payment.PAID: "Your payment is in. Your order is being prepared.",
    Payment.PARTIALLY_REFUNDED: "Part of your payment has been refunded.",
    Payment.REFUNDED: "Your payment has been refunded.",
    Fulfillment.PARTIALLY_SHIPPED: "Part of your order is on its way; the rest will follow.",
    Fulfillment.SHIPPED: "Your order is on its way.",
    Fulfillment.OUT_FOR_DELIVERY: "Your order is out for delivery.",
    Fulfillment.DELIVERED: "Your order has been delivered.",
    Milestone.CANCELED: "This order was canceled.",
}

PAYMENT_WORDS: dict[str, str] = {
    Payment.AWAITING: "Awaiting payment",
    Payment.PROCESSING: "Bank payment on its way",
    Payment.FAILED: "Payment failed",
    Payment.PARTIALLY_PAID: "Partly paid",
    Payment.PAID: "Paid",
    Payment.PARTIALLY_REFUNDED: "Paid, partly refunded",
    Payment.REFUNDED: "Refunded",
}

MILESTONE_WORDS: dict[str, str] = {
    Milestone.CREATED: "We received your order",
    Milestone.EDITED: "Your order was changed",
    Milestone.PAYMENT_PROCESSING: "Your bank payment is on its way",
    Milestone.PAYMENT_FAILED: "Your payment didn't go through",
    Milestone.PARTIALLY_PAID: "Part of your payment arrived",
    Milestone.PAID: "Payment received",
    Milestone.PARTIALLY_REFUNDED: "Part of your payment was refunded",
    Milestone.REFUNDED: "Your payment was refunded",
    Milestone.REFUND_FAILED: "A refund didn't go through",
    Milestone.PARTIALLY_SHIPPED: "Part of your order shipped",
    Milestone.SHIPPED: "Your order shipped",
    Milestone.SHIPMENT_CANCELED: "A shipment was called off",
    Milestone.OUT_FOR_DELIVERY: "Out for delivery",
    Milestone.DELIVERED: "Delivered",
    Milestone.RETURN_STARTED: "Your return is on its way to the store",
    Milestone.CANCELED: "Order canceled",
    Milestone.RESTORED: "Order reinstated",
}

PARCEL_WORDS: dict[str, str] = {
    ShipmentStatus.LABEL_CREATED: "Label created, waiting for the carrier",
    ShipmentStatus.IN_TRANSIT: "On its way",
    ShipmentStatus.OUT_FOR_DELIVERY: "Out for delivery",
    ShipmentStatus.AVAILABLE_FOR_PICKUP: "Ready to pick up",
    ShipmentStatus.DELIVERED: "Delivered",
    ShipmentStatus.EXCEPTION: "Delayed: the carrier is looking into it",
    ShipmentStatus.RETURNED: "On its way back to the store",
    ShipmentStatus.UNKNOWN: "Update from the carrier",
}

STEPS = ("Ordered", "Paid", "Shipped", "Delivered")
PAID_STAGES = frozenset({Payment.PAID, Payment.PARTIALLY_REFUNDED, Payment.REFUNDED})


def steps_reached(payment: str, fulfillment: str) -> int:
    """How many of STEPS the order has reached (at least one: it was ordered)."""
    if fulfillment == Fulfillment.DELIVERED:
        return 4
    if fulfillment != Fulfillment.UNFULFILLED:
        return 3
    return 2 if payment in PAID_STAGES else 1


def parcel_words(status: str) -> str:
    try:
        return PARCEL_WORDS[ShipmentStatus(status)]
    except ValueError:
        return PARCEL_WORDS[ShipmentStatus.UNKNOWN]
