"""Reading WooCommerce orders (REST API v3 shape) into shopsync's facts.

The order's `id` is the store's order id: the WooCommerce Stripe gateway puts the same
id in the PaymentIntent's `metadata.order_id`. `number` is only what customers see
(plugins renumber it). Amounts are decimal strings, except a line's unit `price`,
which is a JSON number; refunds are listed with negative totals. Line-item names come
HTML-escaped (`Ship Your Idea &ndash; Color: Black`): they are stored as the text the
customer sees. `date_modified_gmt` (UTC, without an offset) dates the snapshot.
"""

from __future__ import annotations

import html
from typing import Any

from handlers.readers import (
    currency_of,
    event_time,
    id_of,
    money,
    objects,
    person_name,
    quantity,
    text,
)
from shopsync.customers.customers import CustomerFacts
from shopsync.errors import Unprocessable
from shopsync.models import Customer, Order, OrderLineItem
from shopsync.models.limits import column_limit
from shopsync.orders.items import LineItemFacts
from shopsync.orders.orders import OrderFacts

PROVIDER = "woocommerce"


def is_order(payload: dict[str, Any]) -> bool:
    """An order snapshot has a status (a deletion carries only the id)."""
    return isinstance(payload.get("status"), str)


def is_deletion(payload: dict[str, Any]) -> bool:
    """Exactly what order.deleted sends, `{"id": N}`: no order snapshot can pass for it."""
    return payload.keys() == {"id"}


def total_of(order: dict[str, Any]) -> int:
    return money(order.get("total"), currency_of(order), "total")


def refunds_of(order: dict[str, Any]) -> list[tuple[str, int]]:
    """(refund id, amount refunded) for each refund listed on the order."""
    currency = currency_of(order)
    return [
        (id_of(refund), abs(money(refund.get("total"), currency, "refund total", signed=True)))
        for refund in objects(order.get("refunds"))
    ]


def order_facts(order: dict[str, Any]) -> OrderFacts:
    currency = currency_of(order)
    billing = order.get("billing")
    billing = billing if isinstance(billing, dict) else {}
    return OrderFacts(
        external_id=id_of(order),
        number=text(_as_text(order.get("number")), column_limit(Order, "number")),
        email=text(billing.get("email"), column_limit(Order, "email")),
        customer_name=person_name(billing, column_limit(Customer, "name")),
        currency=currency,
        total_amount=total_of(order),
        line_items=[_line_item(item, currency) for item in objects(order.get("line_items"))],
        as_of=event_time(order.get("date_modified_gmt")),
        customer=CustomerFacts(
            email=text(billing.get("email"), column_limit(Customer, "email")),
            name=person_name(billing, column_limit(Customer, "name")),
            provider=PROVIDER,
            # 0 is a guest checkout: nobody's account.
            external_id=_customer_id(order.get("customer_id")),
        ),
        payment_url=text(order.get("payment_url"), column_limit(Order, "payment_url")),
    )


def _customer_id(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    return None


def _line_item(item: dict[str, Any], currency: str) -> LineItemFacts:
    try:
        unit_amount: int | None = money(item.get("price"), currency, "price")
    except Unprocessable:
        # Tax-inclusive unit prices can be fractions of a cent; a line's price is only shown.
        unit_amount = None
    return LineItemFacts(
        name=text(unescaped(item.get("name")), column_limit(OrderLineItem, "name")) or "Item",
        quantity=quantity(item.get("quantity")),
        sku=text(item.get("sku"), column_limit(OrderLineItem, "sku")),
        unit_amount=unit_amount,
    )


def unescaped(value: object) -> object:
    """Text as WordPress shows it, entities decoded (`&ndash;`, `&amp;`); non-text as it is."""
    return html.unescape(value) if isinstance(value, str) else value


def _as_text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None
