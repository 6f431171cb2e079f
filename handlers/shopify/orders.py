"""Order topics: every one carries the whole order, so every one creates or fills it in.

Shopify delivers in no particular order and retries with the original payload, so a
topic may arrive before orders/create, or long after a later change. Each topic
applies everything its snapshot says; the order's state machine only moves forward,
so a stale snapshot changes nothing. Payment is applied before cancellation, so an
order paid and then canceled in one snapshot is not flagged as paid after cancelling.
"""

from __future__ import annotations

from typing import Any

from handlers.shopify.fulfillments import record_shipment
from handlers.shopify.provider import NAME
from handlers.shopify.refunds import apply_refund
from handlers.shopify.resources import currency_of, objects, order_facts, quantity_of, total_of
from shopsync.models import Order
from shopsync.orders import orders, payments, shipping
from shopsync.orders.lifecycle import Fulfillment
from shopsync.pipeline.registry import EventContext, registry

# Financial statuses that mean the money arrived (a refund implies it was there first).
PAID_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})


@registry.on(NAME, "orders/create", "orders/updated")
def sync_order(ctx: EventContext) -> None:
    apply_order(ctx, ctx.payload)


@registry.on(NAME, "orders/paid")
def record_order_payment(ctx: EventContext) -> None:
    # Only the whole total counts as paid: a partially_paid snapshot has not brought it in.
    paid = ctx.payload.get("financial_status") != "partially_paid"
    apply_order(ctx, ctx.payload, paid=paid)


@registry.on(NAME, "orders/cancelled")
def cancel_order(ctx: EventContext) -> None:
    apply_order(ctx, ctx.payload, cancelled=True)


@registry.on(NAME, "orders/fulfilled")
def mark_order_shipped(ctx: EventContext) -> None:
    apply_order(ctx, ctx.payload, fulfilled=True)


def apply_order(
    ctx: EventContext,
    data: dict[str, Any],
    *,
    paid: bool = False,
    cancelled: bool = False,
    fulfilled: bool = False,
) -> Order:
    """Create or fill in the order, then apply what the snapshot (and its topic) says."""
    order = orders.upsert_order(ctx.work, order_facts(data))
    financial_status = data.get("financial_status")
    if paid or financial_status in PAID_STATUSES:
        payments.record_payment(ctx.work, order, amount=total_of(data), currency=currency_of(data))
    _apply_refunds(ctx, order, data)
    _apply_fulfillments(ctx, order, data, fulfilled=fulfilled)
    if cancelled or data.get("cancelled_at"):
        orders.record_cancel(ctx.work, order)
    return order


def _apply_refunds(ctx: EventContext, order: Order, data: dict[str, Any]) -> None:
    for refund in objects(data.get("refunds")):
        apply_refund(ctx, order, refund)
    if data.get("financial_status") == "refunded":
        # Fully refunded whatever the refunds list holds (it may be trimmed or missing).
        payments.record_refund(ctx.work, order, amount=total_of(data), cumulative=True)


def _apply_fulfillments(
    ctx: EventContext, order: Order, data: dict[str, Any], *, fulfilled: bool
) -> None:
    ordered = quantity_of(objects(data.get("line_items")))
    for fulfillment in objects(data.get("fulfillments")):
        record_shipment(ctx, order, fulfillment, ordered=ordered)
    status = data.get("fulfillment_status")
    if fulfilled or status == "fulfilled":
        shipping.mark_fully_shipped(ctx.work, order)
    elif status == "partial":
        shipping.record_fulfillment(ctx.work, order, Fulfillment.PARTIALLY_SHIPPED)
