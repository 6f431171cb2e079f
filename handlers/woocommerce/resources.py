"""Reading WooCommerce orders (REST API v3 shape) into shopsync's facts.

The order's `id` is the store's order id: the WooCommerce Stripe gateway puts the same
id in the PaymentIntent's `metadata.order_id`. `number` is only what customers see
(plugins renumber it). Amounts are decimal strings, except a line's unit `price`,
which is a JSON number; refunds are listed with negative totals.
"""

from __future__ import annotations

from typing import Any

from shopsync.customers.customers import CustomerFacts
from shopsync.errors import Unprocessable
from shopsync.money import InvalidAmount, to_minor_units
from shopsync.orders.orders import LineItemFacts, OrderFacts

PROVIDER = "woocommerce"

# Quantities are stored in 32-bit integer columns.
MAX_QUANTITY = 2**31 - 1
# Room an id leaves in prefixed keys ("woocommerce:refund:<id>") under 255 characters.
ID_LIMIT = 200


def id_of(obj: dict[str, Any]) -> str:
    value = obj.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise Unprocessable("missing id")
    return str(value).strip()[:ID_LIMIT]


def objects(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: object, limit: int) -> str | None:
    """A non-empty string clipped to its column, or None (WooCommerce sends "" for unset)."""
    return (value.strip()[:limit] or None) if isinstance(value, str) else None


def currency_of(order: dict[str, Any]) -> str:
    value = order.get("currency")
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise Unprocessable("missing or invalid currency")
    return value.upper()


def money(value: object, currency: str, what: str) -> int:
    """An amount in minor units, sign kept; anything unreadable is unprocessable."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unprocessable(f"missing {what}")
    try:
        return to_minor_units(value, currency)
    except InvalidAmount as error:
        raise Unprocessable(f"{what}: {error}") from None


def total_of(order: dict[str, Any]) -> int:
    total = money(order.get("total"), currency_of(order), "total")
    if total < 0:
        raise Unprocessable("total is negative")
    return total


def refunds_of(order: dict[str, Any]) -> list[tuple[str, int]]:
    """(refund id, amount refunded) for each refund listed on the order."""
    currency = currency_of(order)
    return [
        (id_of(refund), abs(money(refund.get("total"), currency, "refund total")))
        for refund in objects(order.get("refunds"))
    ]


def order_facts(order: dict[str, Any]) -> OrderFacts:
    currency = currency_of(order)
    billing = order.get("billing")
    billing = billing if isinstance(billing, dict) else {}
    return OrderFacts(
        external_id=id_of(order),
        number=text(_as_text(order.get("number")), 64),
        email=text(billing.get("email"), 320),
        customer_name=_name(billing),
        currency=currency,
        total_amount=total_of(order),
        line_items=[_line_item(item, currency) for item in objects(order.get("line_items"))],
        customer=CustomerFacts(
            email=text(billing.get("email"), 320),
            name=_name(billing),
            provider=PROVIDER,
            # 0 is a guest checkout: nobody's account.
            external_id=_customer_id(order.get("customer_id")),
        ),
        payment_url=text(order.get("payment_url"), 1000),
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
        name=text(item.get("name"), 300) or "Item",
        quantity=_quantity(item.get("quantity")),
        sku=text(item.get("sku"), 120),
        unit_amount=unit_amount if unit_amount is None or unit_amount >= 0 else None,
    )


def _quantity(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_QUANTITY:
        return value
    return 0


def _name(billing: dict[str, Any]) -> str | None:
    parts = [text(billing.get(key), 100) for key in ("first_name", "last_name")]
    return " ".join(part for part in parts if part)[:200] or None


def _as_text(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None
