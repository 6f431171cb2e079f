"""Refunds: each refund by its id and newest status, and each charge's running total.

`refund.created`, `refund.updated`, `refund.failed` and their legacy twin
`charge.refund.updated` carry the Refund itself: its status as of the event's `created`
decides whether it counts (a failed or canceled refund stops counting). `charge.refunded`
carries the charge's cumulative `amount_refunded`, a running total for that charge as of
the event; older API versions also list the charge's refunds, recorded one by one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.readers import ID_LIMIT, objects
from handlers.stripe.objects import amount, currency, data_object, order_id_of, reference
from handlers.stripe.provider import MAX_UNIX_TIME, NAME
from shopsync.clock import from_timestamp
from shopsync.errors import Ignored, Unprocessable
from shopsync.models import Order
from shopsync.models.vocabulary import RefundStatus
from shopsync.orders import orders, refunds
from shopsync.orders.refunds import RefundFacts
from shopsync.pipeline.registry import EventContext, registry

REFUND_STATUSES = {
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELED,
}
REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated")


@registry.on(NAME, "charge.refunded")
def record_refund(ctx: EventContext) -> None:
    charge = data_object(ctx)
    order = order_for_charge(ctx, charge)
    listed = charge.get("refunds")
    for refund in objects(listed.get("data")) if isinstance(listed, dict) else []:
        refunds.record_refund(ctx.work, order, refund_facts(refund))
    key = f"{NAME}:charge:{(reference(charge.get('id')) or '-')[:ID_LIMIT]}"
    refunded = amount(charge, "amount_refunded")
    refunds.record_refunded_total(ctx.work, order, key=key, amount=refunded)


@registry.on(NAME, *REFUND_EVENTS)
def record_refund_status(ctx: EventContext) -> None:
    """One refund's news: created, succeeded, failed or canceled."""
    refund = data_object(ctx)
    if refund.get("object", "refund") != "refund":
        raise Unprocessable("data.object is not a refund")
    order = order_for_charge(ctx, refund)
    if order.currency is not None and currency(refund) != order.currency:
        raise Unprocessable("refund currency differs from the order's")
    refunds.record_refund(ctx.work, order, refund_facts(refund))


def refund_facts(refund: dict[str, Any]) -> RefundFacts:
    refund_id = reference(refund.get("id"))
    status = REFUND_STATUSES.get(str(refund.get("status")))
    if refund_id is None:
        raise Unprocessable("refund has no id")
    if status is None:
        raise Unprocessable(f"refund status must be one of {', '.join(REFUND_STATUSES)}")
    return RefundFacts(
        refund_id=f"{NAME}:refund:{refund_id[:ID_LIMIT]}",
        amount=amount(refund, "amount"),
        status=status,
        created_at=_created(refund.get("created")),
    )


def _created(value: object) -> datetime | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_UNIX_TIME:
        return from_timestamp(value)
    return None


def order_for_charge(ctx: EventContext, obj: dict[str, Any]) -> Order:
    """The order a charge, refund or dispute belongs to: by metadata, else its PaymentIntent."""
    order_id = order_id_of(obj)
    if order_id is not None:
        return orders.find_order(ctx.work, order_id)
    intent = reference(obj.get("payment_intent"))
    if intent is None:
        raise Ignored("not linked to an order or a PaymentIntent")
    return orders.find_order_for_payment(ctx.work, intent)
