"""Reading Shopify resources (orders, fulfillments, refunds) into shopsync's facts.

An order's `id` is the store's order id everywhere: fulfillments and refunds point at
it with `order_id`, and Stripe payments carry it in `metadata.order_id`. Amounts are
decimal strings in the shop's currency; they become integer minor units here.
"""

from __future__ import annotations

from typing import Any

from shopsync.customers.customers import CustomerFacts
from shopsync.errors import Unprocessable
from shopsync.money import InvalidAmount, to_minor_units
from shopsync.orders.orders import LineItemFacts, OrderFacts

PROVIDER = "shopify"
# `email_marketing_consent.state` values (absent from webhooks since API 2025-01).
MARKETING_STATES = {"subscribed": True, "not_subscribed": False, "unsubscribed": False}

# Quantities are stored in 32-bit integer columns.
MAX_QUANTITY = 2**31 - 1
# Room an order id leaves in prefixed keys ("shopify:refund:<id>") under 255 characters.
ID_LIMIT = 200


def id_of(obj: dict[str, Any], field: str = "id") -> str:
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise Unprocessable(f"missing {field}")
    return str(value).strip()[:ID_LIMIT]


def objects(value: object) -> list[dict[str, Any]]:
    """The dicts in a JSON list (Shopify omits or nulls empty lists at times)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: object, limit: int) -> str | None:
    """A non-empty string clipped to its column, or None."""
    return (value.strip()[:limit] or None) if isinstance(value, str) else None


def currency_of(obj: dict[str, Any], default: str | None = None) -> str:
    value = obj.get("currency")
    if isinstance(value, str) and len(value) == 3 and value.isalpha():
        return value.upper()
    if default is None:
        raise Unprocessable("missing or invalid currency")
    return default


def money(value: object, currency: str, what: str) -> int:
    """A non-negative amount in minor units; anything else is unprocessable."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unprocessable(f"missing {what}")
    try:
        amount = to_minor_units(value, currency)
    except InvalidAmount as error:
        raise Unprocessable(f"{what}: {error}") from None
    if amount < 0:
        raise Unprocessable(f"{what} is negative")
    return amount


def total_of(order: dict[str, Any]) -> int:
    return money(order.get("total_price"), currency_of(order), "total_price")


def order_facts(order: dict[str, Any]) -> OrderFacts:
    currency = currency_of(order)
    return OrderFacts(
        external_id=id_of(order),
        number=text(order.get("name"), 64),
        email=text(order.get("email"), 320) or text(order.get("contact_email"), 320),
        customer_name=_customer_name(order),
        currency=currency,
        total_amount=total_of(order),
        line_items=[_line_item(item, currency) for item in objects(order.get("line_items"))],
        customer=_customer(order),
    )


def _customer(order: dict[str, Any]) -> CustomerFacts | None:
    """The order's customer account: its id, its own address and its marketing choice.

    The account's address may differ from the order's `email`, which is where the
    order's emails go.
    """
    customer = order.get("customer")
    if not isinstance(customer, dict):
        return None
    customer_id = customer.get("id")
    has_id = isinstance(customer_id, int | str) and not isinstance(customer_id, bool)
    return CustomerFacts(
        email=text(customer.get("email"), 320),
        name=_customer_name(order),
        provider=PROVIDER,
        external_id=str(customer_id).strip() or None if has_id else None,
        accepts_marketing=_accepts_marketing(order, customer),
    )


def _accepts_marketing(order: dict[str, Any], customer: dict[str, Any]) -> bool | None:
    consent = customer.get("email_marketing_consent")
    state = consent.get("state") if isinstance(consent, dict) else None
    if isinstance(state, str) and state in MARKETING_STATES:
        return MARKETING_STATES[state]
    accepts = order.get("buyer_accepts_marketing")
    return accepts if isinstance(accepts, bool) else None


def quantity_of(items: list[dict[str, Any]]) -> int:
    return sum(_quantity(item) for item in items)


def _line_item(item: dict[str, Any], currency: str) -> LineItemFacts:
    try:
        unit_amount: int | None = money(item.get("price"), currency, "price")
    except Unprocessable:
        # A line's unit price is shown, never compared: an odd one is left out.
        unit_amount = None
    return LineItemFacts(
        name=text(item.get("title"), 300) or text(item.get("name"), 300) or "Item",
        quantity=_quantity(item),
        sku=text(item.get("sku"), 120),
        unit_amount=unit_amount,
    )


def _quantity(item: dict[str, Any]) -> int:
    value = item.get("quantity")
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_QUANTITY:
        return value
    return 0


def _customer_name(order: dict[str, Any]) -> str | None:
    customer = order.get("customer")
    address = order.get("billing_address")
    for source in (customer, address):
        if isinstance(source, dict):
            parts = [text(source.get(key), 100) for key in ("first_name", "last_name")]
            name = " ".join(part for part in parts if part)
            if name:
                return name[:200]
    return None
