"""Realistic Shopify webhook bodies, shaped like Shopify's own examples (simulate, tests)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SHOP_DOMAIN = "example-shop.myshopify.com"
SHOP_ID = 954889
DEFAULT_EMAIL = "bob.norman@mail.example.com"
LOCATION_ID = 24826418


def line_item(
    title: str, price: str, quantity: int = 1, sku: str | None = None, *, item_id: int | None = None
) -> dict[str, Any]:
    return {
        "id": item_id or _random_id(),
        "admin_graphql_api_id": "gid://shopify/LineItem/0",
        "title": title,
        "name": title,
        "price": price,
        "quantity": quantity,
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "fulfillment_status": None,
        "sku": sku,
        "requires_shipping": True,
        "taxable": True,
        "vendor": "Example Vendor",
    }


def removed(item: dict[str, Any]) -> dict[str, Any]:
    """A line taken out by an order edit: Shopify keeps it with nothing left on it."""
    return {**item, "current_quantity": 0, "fulfillable_quantity": 0}


# Financial statuses in which the whole total has been received.
SETTLED_STATUSES = ("paid", "partially_refunded", "refunded")
DEFAULT_ITEMS = (
    ("IPod Nano - 8GB", "199.00", 1, "IPOD2008PINK"),
    ("Aviator sunglasses", "89.99", 2, "SKU2006-001"),
)


def default_items() -> list[dict[str, Any]]:
    return [line_item(*item, item_id=1000 + n) for n, item in enumerate(DEFAULT_ITEMS)]


def order(
    order_id: str | int,
    *,
    financial_status: str = "pending",
    fulfillment_status: str | None = None,
    currency: str = "USD",
    items: Sequence[dict[str, Any]] | None = None,
    shipping: str = "10.00",
    cancelled_at: str | None = None,
    refunds: Sequence[dict[str, Any]] = (),
    fulfillments: Sequence[dict[str, Any]] = (),
    number: int = 1001,
    email: str = DEFAULT_EMAIL,
    test: bool = False,
    updated_at: str | None = None,
    created_at: str | None = None,
    paid: str | None = None,
    presentment_currency: str | None = None,
    exchange_rate: str = "1",
) -> dict[str, Any]:
    """An order resource, as orders/create, orders/updated, orders/paid ... deliver it.

    `paid` is what has been received (default: everything once paid, else nothing);
    `exchange_rate` is presentment units per shop unit for multi-currency shops. An
    edited order keeps removed lines with `current_quantity` 0 (see `removed`).
    """
    items = list(items) if items is not None else default_items()
    subtotal = sum(Decimal(i["price"]) * i.get("current_quantity", i["quantity"]) for i in items)
    total = subtotal + Decimal(shipping)
    settled = financial_status in SETTLED_STATUSES
    received = Decimal(paid) if paid is not None else (total if settled else Decimal(0))
    now = _now()
    shown = presentment_currency or currency
    return {
        "id": _id(order_id),
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}",
        "number": number - 1000,
        "order_number": number,
        "email": email,
        "contact_email": email,
        "created_at": created_at or updated_at or now,
        "updated_at": updated_at or now,
        "processed_at": created_at or updated_at or now,
        "currency": currency,
        "presentment_currency": shown,
        "subtotal_price": str(subtotal),
        "total_line_items_price": str(subtotal),
        "total_price": str(total),
        "total_price_set": {
            "shop_money": {"amount": str(total), "currency_code": currency},
            "presentment_money": {
                "amount": str((total * Decimal(exchange_rate)).quantize(Decimal("0.01"))),
                "currency_code": shown,
            },
        },
        "current_total_price": str(total),
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_outstanding": str(total - received),
        "financial_status": financial_status,
        "fulfillment_status": fulfillment_status,
        "cancelled_at": cancelled_at,
        "cancel_reason": "customer" if cancelled_at else None,
        "confirmed": True,
        "test": test,
        "token": secrets.token_hex(16),
        "gateway": "shopify_payments",
        "customer": _customer(email),
        "billing_address": _address(),
        "shipping_address": _address(),
        "line_items": items,
        "shipping_lines": [
            {
                "id": _random_id(),
                "title": "Standard",
                "price": shipping,
                "code": "Standard",
                "source": "shopify",
            }
        ],
        "fulfillments": list(fulfillments),
        "refunds": list(refunds),
    }


def fulfillment(
    order_id: str | int,
    *,
    fulfillment_id: int | None = None,
    status: str = "success",
    shipment_status: str | None = None,
    items: Sequence[dict[str, Any]] | None = None,
    tracking_company: str | None = "UPS",
    tracking_numbers: Sequence[str] = ("1Z2345",),
    updated_at: str | None = None,
) -> dict[str, Any]:
    """A fulfillment resource, as fulfillments/create and fulfillments/update deliver it.

    Cancelling one (fulfillments/update) sends it with `status: cancelled`.
    """
    now = _now()
    urls = [f"https://www.ups.com/WebTracking?loc=en_US&tracknum={n}" for n in tracking_numbers]
    return {
        "id": fulfillment_id or _random_id(),
        "admin_graphql_api_id": "gid://shopify/Fulfillment/0",
        "order_id": _id(order_id),
        "name": "#1001.1",
        "status": status,
        "shipment_status": shipment_status,
        "service": "manual",
        "location_id": LOCATION_ID,
        "created_at": now,
        "updated_at": updated_at or now,
        "tracking_company": tracking_company,
        "tracking_number": tracking_numbers[0] if tracking_numbers else None,
        "tracking_numbers": list(tracking_numbers),
        "tracking_url": urls[0] if urls else None,
        "tracking_urls": urls,
        # What the parcel carries; `fulfillable_quantity` is what is left on each line.
        "line_items": [
            {**item, "fulfillable_quantity": 0, "fulfillment_status": "fulfilled"}
            for item in (items if items is not None else default_items())
        ],
        "notify_customer": True,
        "receipt": {},
    }


def refund(
    order_id: str | int,
    *,
    amount: str,
    currency: str = "USD",
    refund_id: int | None = None,
    status: str = "success",
    processed_at: str | None = None,
    lines: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """A refund resource, as refunds/create delivers it (its money is in `transactions`).

    In a multi-currency shop the transactions are in the customer's currency; `lines`
    (see `refund_line`) carry the shop's and the customer's amounts side by side.
    """
    now = processed_at or _now()
    return {
        "id": refund_id or _random_id(),
        "admin_graphql_api_id": "gid://shopify/Refund/0",
        "order_id": _id(order_id),
        "created_at": now,
        "processed_at": now,
        "note": "Damaged in transit",
        "restock": False,
        "user_id": 548380009,
        "refund_line_items": list(lines),
        "order_adjustments": [],
        "duties": [],
        "transactions": [
            {
                "id": _random_id(),
                "order_id": _id(order_id),
                "kind": "refund",
                "gateway": "shopify_payments",
                "status": status,
                "amount": amount,
                "currency": currency,
                "created_at": now,
                "processed_at": now,
                "test": False,
                "parent_id": _random_id(),
                "message": None,
                "error_code": None,
            }
        ],
    }


def refund_line(
    line_item_id: int, *, shop: tuple[str, str], presentment: tuple[str, str]
) -> dict[str, Any]:
    """A refunded line: (amount, currency) in the shop's and the customer's currency."""
    return {
        "id": _random_id(),
        "line_item_id": line_item_id,
        "quantity": 1,
        "restock_type": "no_restock",
        "subtotal": float(presentment[0]),
        "total_tax": 0.0,
        "subtotal_set": _money_set(shop, presentment),
        "total_tax_set": _money_set(("0.00", shop[1]), ("0.00", presentment[1])),
    }


def order_edit(
    order_id: str | int, *, edit_id: int | None = None, committed_at: str | None = None
) -> dict[str, Any]:
    """What orders/edited sends: the edit's ids and quantity changes, wrapped, no totals."""
    return {
        "order_edit": {
            "id": edit_id or _random_id(),
            "app_id": None,
            "created_at": committed_at or _now(),
            "committed_at": committed_at or _now(),
            "notify_customer": False,
            "order_id": _id(order_id),
            "staff_note": "",
            "user_id": None,
            "line_items": {
                "additions": [{"id": _random_id(), "delta": 1}],
                "removals": [],
            },
            "discounts": {"line_item": {"additions": [], "removals": []}},
            "shipping_lines": {"additions": []},
        }
    }


def fulfillment_event(
    order_id: str | int,
    *,
    fulfillment_id: int,
    status: str = "in_transit",
    happened_at: str | None = None,
    estimated_delivery_at: str | None = None,
) -> dict[str, Any]:
    """A carrier scan, as fulfillment_events/create delivers it."""
    when = happened_at or _now()
    return {
        "id": _random_id(),
        "fulfillment_id": fulfillment_id,
        "status": status,
        "message": None,
        "happened_at": when,
        "city": "Louisville",
        "province": "Kentucky",
        "country": "US",
        "zip": "40202",
        "address1": None,
        "latitude": None,
        "longitude": None,
        "shop_id": SHOP_ID,
        "created_at": when,
        "updated_at": when,
        "estimated_delivery_at": estimated_delivery_at,
        "order_id": _id(order_id),
        "admin_graphql_api_id": "gid://shopify/FulfillmentEvent/0",
    }


def customer_redaction(order_ids: Sequence[str | int], *, email: str) -> dict[str, Any]:
    """A customers/redact request (Shopify's mandatory privacy topic)."""
    return {
        "shop_id": SHOP_ID,
        "shop_domain": SHOP_DOMAIN,
        "customer": {"id": customer_id_for(email), "email": email, "phone": "555-625-1199"},
        "orders_to_redact": [_id(order_id) for order_id in order_ids],
    }


def data_request(order_ids: Sequence[str | int], *, email: str) -> dict[str, Any]:
    """A customers/data_request (Shopify's mandatory privacy topic)."""
    return {
        "shop_id": SHOP_ID,
        "shop_domain": SHOP_DOMAIN,
        "orders_requested": [_id(order_id) for order_id in order_ids],
        "customer": {"id": customer_id_for(email), "email": email, "phone": "555-625-1199"},
        "data_request": {"id": 9999},
    }


def shop_redaction() -> dict[str, Any]:
    """A shop/redact request, sent 48 hours after the app is uninstalled."""
    return {"shop_id": SHOP_ID, "shop_domain": SHOP_DOMAIN}


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate shopify <topic>` about `order_id`."""
    # Stable per order, so a simulated fulfillments/update updates the created one.
    shipped = fulfillment(order_id, fulfillment_id=_stable_id(order_id))
    # `--order 1003` reads as order #1003 in emails and pages, as the shop would name it.
    number = int(order_id) if order_id.isdigit() and len(order_id) <= 9 else 1001
    bodies: dict[str, dict[str, Any]] = {
        "orders/create": order(order_id, number=number),
        "orders/updated": order(order_id, financial_status="paid", number=number),
        "orders/paid": order(order_id, financial_status="paid", number=number),
        "orders/cancelled": order(order_id, cancelled_at=_now(), number=number),
        "orders/fulfilled": order(
            order_id,
            number=number,
            financial_status="paid",
            fulfillment_status="fulfilled",
            fulfillments=[shipped],
        ),
        "fulfillments/create": shipped,
        "fulfillments/update": {**shipped, "shipment_status": "delivered"},
        "fulfillment_events/create": fulfillment_event(
            order_id, fulfillment_id=shipped["id"], status="out_for_delivery"
        ),
        "orders/edited": order_edit(order_id),
        "refunds/create": refund(order_id, amount="20.00"),
        "customers/redact": customer_redaction([order_id], email=DEFAULT_EMAIL),
        "customers/data_request": data_request([order_id], email=DEFAULT_EMAIL),
        "shop/redact": shop_redaction(),
    }
    if event_type not in bodies:
        raise KeyError(f"no sample for {event_type}; try one of {', '.join(bodies)}")
    return json.dumps(bodies[event_type]).encode()


def prelude(event_type: str, order_id: str, order_known: bool) -> list[tuple[str, str]]:
    """What `shopsync simulate` sends first: a carrier scan is about a shipped fulfilment."""
    if event_type != "fulfillment_events/create":
        return []
    steps = [("shopify", "fulfillments/create")]
    return steps if order_known else [("shopify", "orders/create"), *steps]


def _money_set(shop: tuple[str, str], presentment: tuple[str, str]) -> dict[str, Any]:
    return {
        "shop_money": {"amount": shop[0], "currency_code": shop[1]},
        "presentment_money": {"amount": presentment[0], "currency_code": presentment[1]},
    }


def customer_id_for(email: str) -> int:
    """A stable Shopify customer id per address: one person, one id, as in a real shop."""
    return _stable_id(f"customer:{email.lower()}")


def _customer(email: str) -> dict[str, Any]:
    return {
        "id": customer_id_for(email),
        "email": email,
        "first_name": "Bob",
        "last_name": "Norman",
        "state": "disabled",
        "verified_email": True,
        "currency": "USD",
    }


def _address() -> dict[str, Any]:
    return {
        "first_name": "Bob",
        "last_name": "Norman",
        "name": "Bob Norman",
        "address1": "Chestnut Street 92",
        "city": "Louisville",
        "province": "Kentucky",
        "zip": "40202",
        "country": "United States",
        "country_code": "US",
    }


def _id(order_id: str | int) -> str | int:
    # Shopify ids are integers; simulated ones ("sim-4f2a1c") stay strings.
    return int(order_id) if str(order_id).isdigit() else order_id


def _random_id() -> int:
    return secrets.randbelow(9 * 10**14) + 10**14


def _stable_id(seed: str) -> int:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16) + 10**14


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
