"""Order events from a custom store: the order is created or filled in, paid, refunded, canceled.

`order.created` and `order.updated` carry the whole order and are handled alike, so
either may arrive first; the number, email, total and items follow the newest event by
its own time, so an edited order shows its edit and an older event changes nothing.
`order.canceled` needs only the order's id; the other fields, when present, are read
as for `order.updated`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from handlers.standard import fields
from handlers.standard.provider import NAME
from shopsync.customers.customers import CustomerFacts
from shopsync.errors import Unprocessable
from shopsync.models import Customer, Order, OrderLineItem
from shopsync.models.limits import column_limit
from shopsync.orders import orders, payments, refunds
from shopsync.orders.items import LineItemFacts
from shopsync.orders.orders import OrderFacts
from shopsync.pipeline.registry import EventContext, registry

PROVIDER = "standard"
AWAITING_PAYMENT = "awaiting_payment"
PAID = "paid"
PAYMENT_FAILED = "payment_failed"
REFUNDED = "refunded"
PAYMENT_STATUSES = frozenset({AWAITING_PAYMENT, PAID, PAYMENT_FAILED, REFUNDED})
MAX_LINE_ITEMS = 500


@registry.on(NAME, "order.created", "order.updated")
def sync_order(ctx: EventContext) -> None:
    """Create or update the order, then apply its payment status."""
    data = fields.event_data(ctx)
    facts = replace(order_facts(data, complete=True), as_of=ctx.work.at)
    payment_status = fields.choice(data, "payment_status", PAYMENT_STATUSES)
    order = orders.upsert_order(ctx.work, facts)
    apply_payment_status(ctx, order, payment_status, facts)


@registry.on(NAME, "order.canceled")
def cancel_order(ctx: EventContext) -> None:
    """Cancel the order, creating it if the cancellation is the first we hear of it."""
    data = fields.event_data(ctx)
    facts = replace(order_facts(data, complete=False), as_of=ctx.work.at)
    payment_status = fields.choice(data, "payment_status", PAYMENT_STATUSES)
    order = orders.upsert_order(ctx.work, facts)
    apply_payment_status(ctx, order, payment_status, facts)
    orders.record_cancel(ctx.work, order)


def order_facts(data: dict[str, Any], *, complete: bool) -> OrderFacts:
    """The order described by `data`; `complete` requires currency and total."""
    return OrderFacts(
        external_id=fields.identifier(data, "id"),
        number=fields.text(data, "number", max_length=column_limit(Order, "number")),
        email=fields.email(data),
        customer_name=fields.text(data, "customer_name", max_length=column_limit(Customer, "name")),
        currency=fields.currency(data, required=complete),
        total_amount=fields.integer(data, "total", required=complete),
        line_items=line_items(data),
        customer=customer_facts(data),
        payment_url=fields.web_url(
            data, "payment_url", max_length=column_limit(Order, "payment_url")
        ),
    )


def customer_facts(data: dict[str, Any]) -> CustomerFacts | None:
    """The store's own customer id and marketing choice, when it sends them."""
    customer_id = fields.optional_identifier(data, "customer_id")
    accepts = fields.optional_flag(data, "accepts_marketing")
    if customer_id is None and accepts is None:
        return None
    return CustomerFacts(
        email=fields.email(data),
        name=fields.text(data, "customer_name", max_length=column_limit(Customer, "name")),
        provider=PROVIDER,
        external_id=customer_id,
        accepts_marketing=accepts,
    )


def line_items(data: dict[str, Any]) -> list[LineItemFacts]:
    items = data.get("line_items", [])
    if not isinstance(items, list) or len(items) > MAX_LINE_ITEMS:
        raise Unprocessable(f"data.line_items must be a list of at most {MAX_LINE_ITEMS} items")
    return [_line_item(item, f"data.line_items[{index}]") for index, item in enumerate(items)]


def _line_item(item: object, label: str) -> LineItemFacts:
    if not isinstance(item, dict):
        raise Unprocessable(f"{label} must be an object")
    name = fields.text(
        item, "name", max_length=column_limit(OrderLineItem, "name"), required=True, label=label
    )
    quantity = fields.integer(item, "quantity", minimum=1, required=True, label=label)
    assert name is not None and quantity is not None
    return LineItemFacts(
        name=name,
        quantity=quantity,
        sku=fields.text(item, "sku", max_length=column_limit(OrderLineItem, "sku"), label=label),
        unit_amount=fields.integer(item, "unit_amount", label=label),
    )


def apply_payment_status(
    ctx: EventContext, order: Order, status: str | None, facts: OrderFacts
) -> None:
    """Move the order's payment to what the store reports (never backwards)."""
    if status == PAID:
        amount, currency = _charged(order, facts)
        payments.record_payment(ctx.work, order, amount=amount, currency=currency)
    elif status == PAYMENT_FAILED:
        payments.record_payment_failed(ctx.work, order)
    elif status == REFUNDED:
        amount, _currency = _charged(order, facts)
        key = f"{NAME}:order:{order.external_id}"
        refunds.record_refunded_total(ctx.work, order, key=key, amount=amount)


def _charged(order: Order, facts: OrderFacts) -> tuple[int, str]:
    # The event's own total: a payment of an edited total shows as paid only if the order's
    # total is the edited one too (Standard Webhooks orders only fill in what is missing).
    amount = facts.total_amount if facts.total_amount is not None else order.total_amount
    currency = facts.currency or order.currency
    if amount is None or currency is None:
        raise Unprocessable("payment_status needs data.total and data.currency")
    return amount, currency
