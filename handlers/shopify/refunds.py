"""Refunds: each counted once by its Shopify id, for the money its transactions moved.

A Shopify refund can move no money at all (a restock, a note); only its successful
`refund` transactions count. The same refund also appears in the order's `refunds`
list on orders/updated, under the same key, so it is never counted twice.
"""

from __future__ import annotations

from typing import Any

from handlers.readers import as_of, currency_of, id_of, money, objects
from handlers.shopify.kinds import REFUND
from handlers.shopify.provider import NAME
from shopsync.errors import Ignored, Unprocessable
from shopsync.models import Order
from shopsync.orders import orders, payments
from shopsync.pipeline.registry import EventContext, registry


@registry.on(NAME, *REFUND.topics)
def record_refund(ctx: EventContext) -> None:
    refund = ctx.payload
    REFUND.require(refund, ctx.event.event_type)
    order = orders.find_order(ctx.work, id_of(refund, "order_id"))
    if not apply_refund(ctx, order, refund):
        raise Ignored("refund moved no money")


def apply_refund(ctx: EventContext, order: Order, refund: dict[str, Any]) -> bool:
    """Count the refund's money against the order; returns whether it moved any."""
    amount = refunded_amount(refund, default_currency=order.currency)
    if amount == 0:
        return False
    refund_id = f"{NAME}:refund:{id_of(refund)}"
    work = as_of(ctx.work, refund.get("processed_at") or refund.get("created_at"))
    payments.record_refund(work, order, amount=amount, refund_id=refund_id)
    return True


def refunded_amount(refund: dict[str, Any], *, default_currency: str | None) -> int:
    total = 0
    for transaction in objects(refund.get("transactions")):
        if transaction.get("kind") == "refund" and transaction.get("status") == "success":
            currency = currency_of(transaction, default_currency)
            if default_currency is not None and currency != default_currency:
                raise Unprocessable("refund currency differs from the order's")
            total += money(transaction.get("amount"), currency, "refund amount")
    return total
