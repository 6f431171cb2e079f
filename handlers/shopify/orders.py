"""Order topics: every one carries the whole order, and every one applies what it says.

An order webhook is a snapshot, and its topic is not signed: orders/paid, orders/
fulfilled and orders/cancelled are only Shopify's reason for sending it now. So every
order topic does the same thing: create or update the order, then apply what it has
received, its refunds, fulfillments, `fulfillment_status` and `cancelled_at`. A pending
snapshot resent as orders/paid stays pending.

Shopify delivers in no particular order and retries with the original payload, so the
snapshot's own `updated_at` decides: the total, items, email, fulfilment claim and
refund claim follow the newest snapshot, and so does "canceled" (an order un-cancelled
in a newer snapshot is restored; an older cancelled snapshot cannot cancel it again).
Money received only grows. Payment is applied before cancellation, so an order paid and
then canceled in one snapshot is not flagged as paid after cancelling.

orders/edited is only a signal (`{"order_edit": ...}` with ids and quantity changes, no
totals): it goes on the timeline; the orders/updated snapshot Shopify sends with it
carries the edited order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from handlers.readers import as_of, currency_of, id_of, objects
from handlers.shopify.currencies import rate_of
from handlers.shopify.fulfillments import record_shipment
from handlers.shopify.kinds import ORDER, ORDER_EDIT
from handlers.shopify.provider import NAME
from handlers.shopify.refunds import Snapshot, apply_refund
from handlers.shopify.resources import order_facts, ordered_quantity_of, paid_of, total_of
from shopsync.models import Order
from shopsync.models.vocabulary import Fulfillment, Milestone
from shopsync.orders import orders, payments, refunds, shipping
from shopsync.orders.orders import OrderFacts
from shopsync.pipeline.registry import EventContext, registry

CLAIMED_FULFILLMENT = {"fulfilled": Fulfillment.SHIPPED, "partial": Fulfillment.PARTIALLY_SHIPPED}


@registry.on(NAME, *ORDER.topics)
def apply_order_snapshot(ctx: EventContext) -> None:
    ORDER.require(ctx.payload, ctx.event.event_type)
    apply_order(ctx, ctx.payload)


@registry.on(NAME, *ORDER_EDIT.topics)
def note_order_edit(ctx: EventContext) -> None:
    """An edit was committed; its totals arrive with the order's next snapshot."""
    ORDER_EDIT.require(ctx.payload, ctx.event.event_type)
    edit = ORDER_EDIT.resource(ctx.payload)
    order = orders.find_order(ctx.work, id_of(edit, "order_id"))
    committed = edit.get("committed_at") or edit.get("created_at")
    orders.note(as_of(ctx.work, committed), order, Milestone.EDITED)


def apply_order(ctx: EventContext, data: dict[str, Any]) -> Order:
    """Create or update the order, then apply everything the snapshot says."""
    facts = order_facts(data)
    order = orders.upsert_order(ctx.work, facts)
    newest = orders.is_newest(order, facts.as_of)
    paid = paid_of(data)
    if paid is not None:
        payments.record_payment(ctx.work, order, amount=paid, currency=currency_of(data))
    _apply_refunds(ctx, order, data, facts, newest=newest)
    _apply_fulfillments(ctx, order, data, newest=newest)
    cancelled_at = data.get("cancelled_at")
    work = as_of(ctx.work, cancelled_at) if cancelled_at else ctx.work
    orders.set_canceled(work, order, canceled=bool(cancelled_at), as_of=facts.as_of)
    return order


def _apply_refunds(
    ctx: EventContext, order: Order, data: dict[str, Any], facts: OrderFacts, *, newest: bool
) -> None:
    snapshot = Snapshot(as_of=facts.as_of, rate=_rate(data, order))
    for refund in objects(data.get("refunds")):
        apply_refund(ctx, order, refund, snapshot)
    if newest:
        # Fully refunded whatever the refunds list holds (it may be trimmed or missing).
        refunded = total_of(data) if data.get("financial_status") == "refunded" else 0
        refunds.claim_refunded(ctx.work, order, refunded)


def _rate(data: dict[str, Any], order: Order) -> Decimal | None:
    presentment = data.get("presentment_currency")
    if not isinstance(presentment, str) or order.currency is None:
        return None
    return rate_of([data.get("total_price_set")], presentment.upper(), order.currency)


def _apply_fulfillments(
    ctx: EventContext, order: Order, data: dict[str, Any], *, newest: bool
) -> None:
    ordered = ordered_quantity_of(objects(data.get("line_items")))
    for fulfillment in objects(data.get("fulfillments")):
        record_shipment(ctx, order, fulfillment, ordered=ordered)
    if newest:
        claim = CLAIMED_FULFILLMENT.get(str(data.get("fulfillment_status")))
        shipping.claim_fulfillment(ctx.work, order, claim or Fulfillment.UNFULFILLED)
