"""The order state machine: dimensions recomputed from what the providers recorded.

An order's dimensions are not moved by events; they are recomputed, after every change,
from per-object records that each keep the provider's own clock:

    payment      awaiting_payment, payment_processing, payment_failed, partially_paid,
                 paid, partially_refunded, refunded
    fulfillment  unfulfilled → partially_shipped → shipped → out_for_delivery → delivered
    canceled     the newest cancel or restore statement      disputed  false → true

- payment: what was received (the largest payment any source reported: money received
  never shrinks), the newest attempt (processing or failed; a payment is final), and the
  refunded amount: per source, the refunds that stand, each counted once by id, or the
  source's own running total; the largest source wins (two sources reporting the same
  money do not add up).
- fulfillment: the shipments that stand (not cancelled, not returns) and what the
  newest order snapshot claims, unless a shipment was cancelled after that snapshot.
  Fully shipped orders follow their least advanced parcel.

Every record merges by the provider's time (`supersedes`): a statement older than the
one held changes nothing, and equal times are settled by a fixed rank, so any arrival
order of the same events ends in the same records, hence the same state. Parcel
statuses still only move forward.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from shopsync.models import Order, Shipment
from shopsync.models.vocabulary import Fulfillment, Milestone, Payment, ShipmentStatus

__all__ = ["Fulfillment", "Milestone", "Payment", "derive_state", "supersedes"]

FULFILLMENT_ORDER = list(Fulfillment)
CANCELED = Milestone.CANCELED.value

# Parcel statuses only move forward along their rank; unranked ones never move a parcel.
SHIPMENT_RANK = {
    ShipmentStatus.LABEL_CREATED: 0,
    ShipmentStatus.IN_TRANSIT: 1,
    ShipmentStatus.OUT_FOR_DELIVERY: 2,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 2,
    ShipmentStatus.DELIVERED: 3,
}
STAGE_FOR_RANK = {
    0: Fulfillment.SHIPPED,
    1: Fulfillment.SHIPPED,
    2: Fulfillment.OUT_FOR_DELIVERY,
    3: Fulfillment.DELIVERED,
}
# Payment stages that are the moment for a timeline entry when reached.
PAYMENT_MILESTONES = frozenset(Payment) - {Payment.AWAITING}

MILESTONE_MESSAGES = {
    Milestone.CREATED: "Order received",
    Milestone.PAYMENT_PROCESSING: "Payment processing (bank debits take a few days)",
    Milestone.PAYMENT_FAILED: "Payment failed",
    Milestone.PARTIALLY_PAID: "Part of the payment received",
    Milestone.PAID: "Payment received",
    Milestone.PARTIALLY_REFUNDED: "Partially refunded",
    Milestone.REFUNDED: "Refunded",
    Milestone.REFUND_FAILED: "A refund did not go through",
    Milestone.PARTIALLY_SHIPPED: "Part of the order has shipped",
    Milestone.SHIPPED: "Shipped",
    Milestone.OUT_FOR_DELIVERY: "Out for delivery",
    Milestone.DELIVERED: "Delivered",
    Milestone.SHIPMENT_CANCELED: "A shipment was cancelled",
    Milestone.RETURN_STARTED: "A parcel is on its way back to the store",
    Milestone.CANCELED: "Order canceled",
    Milestone.RESTORED: "Order restored (no longer canceled)",
    Milestone.EDITED: "Order edited",
    Milestone.DISPUTED: "Payment disputed",
    Milestone.DISPUTE_WON: "Dispute resolved in the store's favour",
    Milestone.DISPUTE_LOST: "Dispute lost",
    Milestone.NEEDS_ATTENTION: "Needs the store's attention",
    Milestone.CHECKOUT_EXPIRED: "Checkout expired unpaid",
    Milestone.DATA_REQUESTED: "The customer asked for the data kept about them",
}


def supersedes(
    at: datetime, rank: int, held_at: datetime | None, held_rank: int, *, ties: bool = True
) -> bool:
    """Whether a statement made at `at` replaces the one held (made at `held_at`).

    Newer wins; nothing held (or held without a time) always loses. At equal times the
    higher rank wins, or, with `ties`, an equal rank (the same statement again).
    """
    if held_at is None or at > held_at:
        return True
    if at < held_at:
        return False
    return rank > held_rank or (ties and rank == held_rank)


def payment_stage(order: Order) -> Payment:
    """Where the money stands: refunds first, then what was received, then the attempt."""
    reference = order.total_amount or order.paid_amount
    if order.refunded_amount > 0:
        full = reference > 0 and order.refunded_amount >= reference
        return Payment.REFUNDED if full else Payment.PARTIALLY_REFUNDED
    if order.payment_attempt == Payment.PAID:
        total = order.total_amount or 0
        return Payment.PAID if order.paid_amount >= total else Payment.PARTIALLY_PAID
    if order.payment_attempt in (Payment.PROCESSING, Payment.FAILED):
        return Payment(order.payment_attempt)
    return Payment.AWAITING


def shipment_rank(status: str) -> int:
    try:
        return SHIPMENT_RANK.get(ShipmentStatus(status), 0)
    except ValueError:
        return 0


def fulfillment_stage(claim: Fulfillment | None, shipments: Iterable[Shipment]) -> Fulfillment:
    """The stage the standing parcels and the snapshot's claim (if it still holds) make."""
    standing = [s for s in shipments if not s.canceled and not s.is_return]
    if claim == Fulfillment.SHIPPED or any(not s.partial for s in standing):
        if not standing:
            return Fulfillment.SHIPPED
        return STAGE_FOR_RANK[min(shipment_rank(s.status) for s in standing)]
    if claim == Fulfillment.PARTIALLY_SHIPPED or standing:
        return Fulfillment.PARTIALLY_SHIPPED
    return Fulfillment.UNFULFILLED


def moved_forward(before: str, after: str) -> bool:
    return FULFILLMENT_ORDER.index(Fulfillment(after)) > FULFILLMENT_ORDER.index(
        Fulfillment(before)
    )


def derive_state(order: Order) -> str:
    if order.canceled:
        return CANCELED
    if order.payment_status == Payment.REFUNDED:
        return Payment.REFUNDED.value
    if order.fulfillment_status != Fulfillment.UNFULFILLED:
        return order.fulfillment_status
    return order.payment_status
