"""Order topics: every one carries the whole order, and every one applies what it says.

An order webhook is a snapshot, and its topic is not signed: orders/paid, orders/
fulfilled and orders/cancelled are only Shopify's reason for sending it now. So every
order topic does the same thing: create or fill in the order, then apply its
`financial_status`, refunds, fulfillments, `fulfillment_status` and `cancelled_at`.
A pending snapshot resent as orders/paid stays pending.

Shopify delivers in no particular order and retries with the original payload; the
order's state machine only moves forward, so a stale snapshot changes nothing. Payment
is applied before cancellation, so an order paid and then canceled in one snapshot is
not flagged as paid after cancelling.
"""

from __future__ import annotations

from typing import Any

from handlers.readers import as_of, currency_of, objects
from handlers.shopify.fulfillments import record_shipment
from handlers.shopify.kinds import ORDER
from handlers.shopify.provider import NAME
from handlers.shopify.refunds import apply_refund
from handlers.shopify.resources import order_facts, quantity_of, total_of
from shopsync.models import Order
from shopsync.orders import orders, payments, shipping
from shopsync.orders.lifecycle import Fulfillment
from shopsync.pipeline.registry import EventContext, registry

# Financial statuses that mean the whole total arrived (a refund implies it was there first).
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})


@registry.on(NAME, *ORDER.topics)
def apply_order_snapshot(ctx: EventContext) -> None:
    ORDER.require(ctx.payload, ctx.event.event_type)
    apply_order(ctx, ctx.payload)


def apply_order(ctx: EventContext, data: dict[str, Any]) -> Order:
    """Create or fill in the order, then apply everything the snapshot says."""
    order = orders.upsert_order(ctx.work, order_facts(data))
    if data.get("financial_status") in PAID_STATUSES:
        payments.record_payment(ctx.work, order, amount=total_of(data), currency=currency_of(data))
    _apply_refunds(ctx, order, data)
    _apply_fulfillments(ctx, order, data)
    cancelled_at = data.get("cancelled_at")
    if cancelled_at:
        orders.record_cancel(as_of(ctx.work, cancelled_at), order)
    return order


def _apply_refunds(ctx: EventContext, order: Order, data: dict[str, Any]) -> None:
    for refund in objects(data.get("refunds")):
        apply_refund(ctx, order, refund)
    if data.get("financial_status") == "refunded":
        # Fully refunded whatever the refunds list holds (it may be trimmed or missing).
        payments.record_refund(ctx.work, order, amount=total_of(data), cumulative=True)


def _apply_fulfillments(ctx: EventContext, order: Order, data: dict[str, Any]) -> None:
    ordered = quantity_of(objects(data.get("line_items")))
    for fulfillment in objects(data.get("fulfillments")):
        record_shipment(ctx, order, fulfillment, ordered=ordered)
    status = data.get("fulfillment_status")
    if status == "fulfilled":
        shipping.mark_fully_shipped(ctx.work, order)
    elif status == "partial":
        shipping.record_fulfillment(ctx.work, order, Fulfillment.PARTIALLY_SHIPPED)
