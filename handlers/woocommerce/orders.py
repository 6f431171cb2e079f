"""Order topics: the order's status says where it stands, its refunds what went back.

WooCommerce sends the whole order on every change, in no guaranteed order and with
no retries, so each delivery applies everything its snapshot says, whichever order
topic it came under (topics are not signed). The snapshot's `date_modified_gmt`
decides: the total, items, email, fulfilment (completed, Shipment Tracking parcels)
and "refunded" follow the newest snapshot, so an edited order shows its edit and a
stale snapshot changes nothing; money received only grows.

    pending, on-hold   awaiting payment (nothing to record)
    processing         paid
    completed          paid and fully shipped
    refunded           paid and fully refunded
    failed             payment failed
    cancelled, trash   canceled (so is a deleted, that is trashed, order)

order.deleted (the order put in the trash) cancels only a body of exactly the deletion
shape, `{"id": N}`: a signed order snapshot resent under that topic is refused, never
taken for a deletion. Its body carries no time, so it counts as of its receipt.
order.restored (the order taken out of the trash) sends the order again, and like any
snapshot it is judged by its own `date_modified_gmt`: newer than the deletion, it
restores the order (as does any newer snapshot that is not cancelled: a cancelled order
set back to processing); older, it changes nothing. The topic itself decides nothing,
so a captured snapshot from before the trash, resent as order.restored, cannot revive it.
"""

from __future__ import annotations

from typing import Any

from handlers.readers import currency_of, id_of
from handlers.woocommerce.provider import DELETION_TOPIC, NAME, ORDER_TOPICS, RESTORED_TOPIC
from handlers.woocommerce.resources import (
    is_deletion,
    is_order,
    order_facts,
    refunds_of,
    total_of,
)
from handlers.woocommerce.tracking import sync_tracking
from shopsync.errors import Unprocessable
from shopsync.models import Order
from shopsync.models.vocabulary import Fulfillment
from shopsync.orders import orders, payments, refunds, shipping
from shopsync.orders.refunds import RefundFacts
from shopsync.pipeline.registry import EventContext, registry

# Statuses WooCommerce itself counts as paid (wc_get_is_paid_statuses), plus refunded:
# money can only go back once it arrived.
PAID_STATUSES = frozenset({"processing", "completed", "refunded"})
CANCELED_STATUSES = frozenset({"cancelled", "trash"})


@registry.on(NAME, *ORDER_TOPICS, RESTORED_TOPIC)
def sync_order(ctx: EventContext) -> None:
    """Create or update the order, then apply its status, refunds and parcels."""
    data = ctx.payload
    if not is_order(data):
        raise Unprocessable(f"{ctx.event.event_type[:60]} body is not a WooCommerce order")
    facts = order_facts(data)
    order = orders.upsert_order(ctx.work, facts)
    newest = orders.is_newest(order, facts.as_of)
    status = data.get("status")
    if status in PAID_STATUSES:
        payments.record_payment(ctx.work, order, amount=total_of(data), currency=currency_of(data))
    elif status == "failed":
        payments.record_payment_failed(ctx.work, order)
    _apply_refunds(ctx, order, data, newest=newest)
    if newest:
        shipped = Fulfillment.SHIPPED if status == "completed" else Fulfillment.UNFULFILLED
        shipping.claim_fulfillment(ctx.work, order, shipped)
        sync_tracking(ctx.work, order, data, facts.as_of or ctx.work.at)
    # After payment, so an order paid then canceled is not flagged as paid after cancelling.
    orders.set_canceled(ctx.work, order, canceled=status in CANCELED_STATUSES, as_of=facts.as_of)


@registry.on(NAME, DELETION_TOPIC)
def cancel_deleted_order(ctx: EventContext) -> None:
    """A deleted (or trashed) order will not be fulfilled; only its id is sent."""
    if not is_deletion(ctx.payload):
        raise Unprocessable("order.deleted body is not a deletion (only an id)")
    orders.record_cancel(ctx.work, orders.find_order(ctx.work, id_of(ctx.payload)))


def _apply_refunds(ctx: EventContext, order: Order, data: dict[str, Any], *, newest: bool) -> None:
    for refund_id, amount in refunds_of(data):
        if amount > 0:
            facts = RefundFacts(refund_id=f"{NAME}:refund:{refund_id}", amount=amount)
            refunds.record_refund(ctx.work, order, facts)
    if newest:
        # Fully refunded whatever the refunds list holds.
        refunded = total_of(data) if data.get("status") == "refunded" else 0
        refunds.claim_refunded(ctx.work, order, refunded)
