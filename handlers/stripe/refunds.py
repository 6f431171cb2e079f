"""Refunds: partial or full, worked out from Stripe's cumulative refunded amount."""

from __future__ import annotations

from typing import Any

from handlers.stripe.objects import amount, data_object, order_id_of, reference
from handlers.stripe.provider import NAME
from shopsync.errors import Ignored
from shopsync.models import Order
from shopsync.orders import orders, payments
from shopsync.pipeline.registry import EventContext, registry


@registry.on(NAME, "charge.refunded")
def record_refund(ctx: EventContext) -> None:
    charge = data_object(ctx)
    order = order_for_charge(ctx, charge)
    refunded = amount(charge, "amount_refunded")
    payments.record_refund(ctx.work, order, amount=refunded, cumulative=True)


def order_for_charge(ctx: EventContext, obj: dict[str, Any]) -> Order:
    """The order a charge (or dispute) belongs to: by metadata, else by its PaymentIntent."""
    order_id = order_id_of(obj)
    if order_id is not None:
        return orders.find_order(ctx.work, order_id)
    intent = reference(obj.get("payment_intent"))
    if intent is None:
        raise Ignored("charge is not linked to an order or a PaymentIntent")
    return orders.find_order_for_payment(ctx.work, intent)
