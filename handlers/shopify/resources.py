"""Reading Shopify resources (orders, fulfillments, refunds) into shopsync's facts.

An order's `id` is the store's order id everywhere: fulfillments and refunds point at
it with `order_id`, and Stripe payments carry it in `metadata.order_id`. Amounts are
decimal strings in the shop's currency; they become integer minor units here.

An edited order keeps its removed lines with `current_quantity` 0 and changes
`total_price`; what has been paid is `total_price` less `total_outstanding` (webhook
bodies carry no transactions), which is how a `partially_paid` order shows its part.
"""

from __future__ import annotations

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

PROVIDER = "shopify"
# `email_marketing_consent.state` values (absent from webhooks since API 2025-01).
MARKETING_STATES = {"subscribed": True, "not_subscribed": False, "unsubscribed": False}
# Financial statuses in which money has arrived (a refund implies it was there first).
RECEIVED_STATUSES = frozenset({"paid", "partially_paid", "partially_refunded", "refunded"})


def total_of(order: dict[str, Any]) -> int:
    return money(order.get("total_price"), currency_of(order), "total_price")


def paid_of(order: dict[str, Any]) -> int | None:
    """What the order says has been paid, or None when it says nothing has arrived."""
    status = order.get("financial_status")
    if status not in RECEIVED_STATUSES:
        return None
    total = total_of(order)
    outstanding = order.get("total_outstanding")
    if outstanding is None:
        # Older bodies lack it: only a part payment leaves the amount unknown.
        return None if status == "partially_paid" else total
    paid = total - money(outstanding, currency_of(order), "total_outstanding", signed=True)
    return paid if paid > 0 else None


def order_facts(order: dict[str, Any]) -> OrderFacts:
    currency = currency_of(order)
    email_limit = column_limit(Order, "email")
    return OrderFacts(
        external_id=id_of(order),
        number=text(order.get("name"), column_limit(Order, "number")),
        email=text(order.get("email"), email_limit)
        or text(order.get("contact_email"), email_limit),
        customer_name=_customer_name(order),
        currency=currency,
        total_amount=total_of(order),
        line_items=[
            _line_item(item, currency)
            for item in objects(order.get("line_items"))
            if _current_quantity(item) != 0
        ],
        as_of=event_time(order.get("updated_at")),
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
        email=text(customer.get("email"), column_limit(Customer, "email")),
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
    return sum(quantity(item.get("quantity")) for item in items)


def ordered_quantity_of(items: list[dict[str, Any]]) -> int:
    """How many items an order holds now (after edits and refunds, when the body says)."""
    return sum(
        quantity(item.get("quantity") if (now := _current_quantity(item)) is None else now)
        for item in items
    )


def _line_item(item: dict[str, Any], currency: str) -> LineItemFacts:
    try:
        unit_amount: int | None = money(item.get("price"), currency, "price")
    except Unprocessable:
        # A line's unit price is shown, never compared: an odd one is left out.
        unit_amount = None
    name_limit = column_limit(OrderLineItem, "name")
    current = _current_quantity(item)
    return LineItemFacts(
        name=text(item.get("title"), name_limit) or text(item.get("name"), name_limit) or "Item",
        quantity=quantity(item.get("quantity") if current is None else current),
        sku=text(item.get("sku"), column_limit(OrderLineItem, "sku")),
        unit_amount=unit_amount,
    )


def _current_quantity(item: dict[str, Any]) -> int | None:
    """The line's quantity after edits and refunds, when the body says (None if not)."""
    value = item.get("current_quantity")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _customer_name(order: dict[str, Any]) -> str | None:
    limit = column_limit(Customer, "name")
    return person_name(order.get("customer"), limit) or person_name(
        order.get("billing_address"), limit
    )
