"""The e-commerce bodies Mailchimp is sent for a paid order: customer, products, order.

Mailchimp's e-commerce API wants decimal amounts, an order with at least one line, and
every line's product (and variant) to exist before the order does. shopsync keeps line
items by name and SKU, so a product is its SKU (or a digest of its name when it has
none), with one variant of the same id. An order whose items are not known (a Stripe
Checkout order whose items are still being read) is sent as one line for its total.

The e-commerce customer always says `opt_in_status: false`: Mailchimp never lets that
change an existing member, and it adds a new contact as transactional. Subscribing is
the member operation's alone, so only the customer's own consent subscribes anyone.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from shopsync.clock import iso
from shopsync.models import Customer, Order, OrderLineItem
from shopsync.money import minor_unit_exponent

# The one line of an order whose items shopsync does not know.
WHOLE_ORDER = "order"
PRODUCT_ID_LIMIT = 50


def amount(minor_units: int, currency: str) -> float:
    """19900 USD is 199.0: Mailchimp takes amounts as decimal numbers."""
    return float(Decimal(minor_units).scaleb(-minor_unit_exponent(currency)))


def product_id(item: OrderLineItem) -> str:
    if item.sku:
        return item.sku[:PRODUCT_ID_LIMIT]
    return "item-" + hashlib.sha256(item.name.encode()).hexdigest()[:16]


def split_name(name: str | None) -> dict[str, str]:
    if not name:
        return {}
    first, _, last = name.strip().partition(" ")
    return {"first_name": first, **({"last_name": last.strip()} if last.strip() else {})}


def customer_body(customer: Customer) -> dict[str, Any]:
    assert customer.id is not None
    return {
        "id": str(customer.id),
        "email_address": customer.email,
        "opt_in_status": False,
        **split_name(customer.name),
    }


def products(order: Order, items: list[OrderLineItem]) -> list[dict[str, Any]]:
    currency = order.currency or ""
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        pid = product_id(item)
        variant: dict[str, Any] = {"id": pid, "title": item.name}
        if item.sku:
            variant["sku"] = item.sku
        if item.unit_amount is not None:
            variant["price"] = amount(item.unit_amount, currency)
        seen.setdefault(pid, {"id": pid, "title": item.name, "variants": [variant]})
    if not seen:
        title = f"Order {order.number or order.external_id}"
        seen[WHOLE_ORDER] = {
            "id": WHOLE_ORDER,
            "title": "Order",
            "variants": [{"id": WHOLE_ORDER, "title": title}],
        }
    return list(seen.values())


def order_body(order: Order, customer: Customer, items: list[OrderLineItem]) -> dict[str, Any]:
    currency = order.currency or ""
    total = order.total_amount if order.total_amount is not None else order.paid_amount
    return {
        "id": order.external_id,
        "customer": {"id": str(customer.id)},
        "currency_code": currency.upper(),
        "order_total": amount(total, currency),
        "financial_status": "paid",
        "processed_at_foreign": iso(order.created_at.replace(microsecond=0)),
        "lines": _lines(order, items, total),
    }


def _lines(order: Order, items: list[OrderLineItem], total: int) -> list[dict[str, Any]]:
    currency = order.currency or ""
    if not items:
        return [_line(WHOLE_ORDER, WHOLE_ORDER, 1, amount(total, currency))]
    return [
        _line(
            str(item.id),
            product_id(item),
            item.quantity,
            amount((item.unit_amount or 0) * item.quantity, currency),
        )
        for item in items
    ]


def _line(line_id: str, pid: str, quantity: int, price: float) -> dict[str, Any]:
    return {
        "id": line_id,
        "product_id": pid,
        "product_variant_id": pid,
        "quantity": quantity,
        "price": price,
    }
