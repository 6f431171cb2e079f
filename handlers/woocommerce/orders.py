"""Order topics: the order's status says where it stands, its refunds what went back.

WooCommerce sends the whole order on every change, in no guaranteed order and with
no retries, so each delivery applies everything its snapshot says, whichever order
topic it came under (topics are not signed); the order's state machine only moves
forward, so a stale snapshot changes nothing.

    pending, on-hold   awaiting payment (nothing to record)
    processing         paid
    completed          paid and fully shipped
    refunded           paid and fully refunded
    failed             payment failed
    cancelled          canceled (so is a deleted order)

order.deleted cancels only a body of exactly the deletion shape, `{"id": N}`: a signed
order snapshot resent under that topic is refused, never taken for a deletion.
"""

from __future__ import annotations

from typing import Any

from handlers.readers import currency_of, id_of
from handlers.woocommerce.provider import DELETION_TOPIC, NAME, ORDER_TOPICS
from handlers.woocommerce.resources import (
    is_deletion,
    is_order,
    order_facts,
    refunds_of,
    total_of,
)
from shopsync.errors import Unprocessable
from shopsync.models import Order
from shopsync.orders import orders, payments, shipping
from shopsync.pipeline.registry import EventContext, registry

# Statuses WooCommerce itself counts as paid (wc_get_is_paid_statuses), plus refunded:
# money can only go back once it arrived.
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})


@registry.on(NAME, *ORDER_TOPICS)
def sync_order(ctx: EventContext) -> None:
    """Create or fill in the order, then apply its status and refunds."""
    data = ctx.payload
    if not is_order(data):
        raise Unprocessable(f"{ctx.event.event_type[:60]} body is not a WooCommerce order")
    order = orders.upsert_order(ctx.work, order_facts(data))
    status = data.get("status")
    if status in PAID_STATUSES:
        payments.record_payment(ctx.work, order, amount=total_of(data), currency=currency_of(data))
    elif status == "failed":
        payments.record_payment_failed(ctx.work, order)
    _apply_refunds(ctx, order, data)
    if status == "completed":
        shipping.mark_fully_shipped(ctx.work, order)
    # After payment, so an order paid then canceled is not flagged as paid after cancelling.
    if status == "cancelled":
        orders.record_cancel(ctx.work, order)


@registry.on(NAME, DELETION_TOPIC)
def cancel_deleted_order(ctx: EventContext) -> None:
    """A deleted (or trashed) order will not be fulfilled; only its id is sent."""
    if not is_deletion(ctx.payload):
        raise Unprocessable("order.deleted body is not a deletion (only an id)")
    orders.record_cancel(ctx.work, orders.find_order(ctx.work, id_of(ctx.payload)))


def _apply_refunds(ctx: EventContext, order: Order, data: dict[str, Any]) -> None:
    for refund_id, amount in refunds_of(data):
        if amount > 0:
            key = f"{NAME}:refund:{refund_id}"
            payments.record_refund(ctx.work, order, amount=amount, refund_id=key)
    if data.get("status") == "refunded":
        # Fully refunded whatever the refunds list holds.
        payments.record_refund(ctx.work, order, amount=total_of(data), cumulative=True)
