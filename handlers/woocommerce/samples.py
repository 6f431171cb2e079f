"""Realistic WooCommerce webhook bodies, shaped like the REST API's v3 order (simulate, tests)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

WEBHOOK_ID = 142
TRACKING_META = "_wc_shipment_tracking_items"
SOURCE_URL = "https://example.com/"
PAID_STATUSES = ("processing", "completed", "refunded")


def line_item(
    name: str, price: str, quantity: int = 1, sku: str = "", *, item_id: int | None = None
) -> dict[str, Any]:
    total = str(Decimal(price) * quantity)
    return {
        "id": item_id or secrets.randbelow(10**6),
        "name": name,
        "product_id": 93,
        "variation_id": 0,
        "quantity": quantity,
        "tax_class": "",
        "subtotal": total,
        "subtotal_tax": "0.00",
        "total": total,
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
        "sku": sku,
        # The REST API gives the unit price as a JSON number, unlike every other amount.
        "price": float(price),
    }


def default_items() -> list[dict[str, Any]]:
    return [
        line_item("Woo Single #1", "3.00", 2, "woo-single-1", item_id=315),
        line_item("Ship Your Idea &ndash; Color: Black, Size: M Test", "20.00", 1, "", item_id=316),
    ]


def order(
    order_id: str | int,
    *,
    status: str = "processing",
    currency: str = "USD",
    items: Sequence[dict[str, Any]] | None = None,
    shipping: str = "10.00",
    refunds: Sequence[dict[str, Any]] = (),
    modified: datetime | None = None,
    email: str = "john.doe@example.com",
    tracking: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """An order as order.created / order.updated / order.restored deliver it (REST API v3).

    `tracking` lists the Shipment Tracking extension's items (see `tracking_item`).
    """
    items = list(items) if items is not None else default_items()
    total = sum((Decimal(i["total"]) for i in items), Decimal(shipping))
    modified = modified or datetime.now(UTC)
    created = modified - timedelta(seconds=5) if status != "pending" else modified
    paid = _stamp(modified) if status in PAID_STATUSES else None
    return {
        "id": _id(order_id),
        "parent_id": 0,
        "number": str(order_id),
        "order_key": "wc_order_" + secrets.token_hex(6),
        "created_via": "checkout",
        "version": "9.4.2",
        "status": status,
        "currency": currency,
        "date_created": _stamp(created),
        "date_created_gmt": _stamp(created),
        "date_modified": _stamp(modified),
        "date_modified_gmt": _stamp(modified),
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": shipping,
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": str(total),
        "total_tax": "0.00",
        "prices_include_tax": False,
        "customer_id": 0,
        "customer_note": "",
        "billing": {**_address(), "email": email, "phone": "(555) 555-5555"},
        "shipping": _address(),
        "payment_method": "stripe",
        "payment_method_title": "Credit Card (Stripe)",
        "transaction_id": "pi_" + secrets.token_hex(12) if paid else "",
        "date_paid": paid,
        "date_paid_gmt": paid,
        "date_completed": _stamp(modified) if status == "completed" else None,
        "date_completed_gmt": _stamp(modified) if status == "completed" else None,
        "cart_hash": secrets.token_hex(16),
        "meta_data": [
            {"id": 13106, "key": "_download_permissions_granted", "value": "yes"},
            *([{"id": 13107, "key": TRACKING_META, "value": list(tracking)}] if tracking else []),
        ],
        "line_items": items,
        "tax_lines": [],
        "shipping_lines": [
            {
                "id": 317,
                "method_title": "Flat Rate",
                "method_id": "flat_rate",
                "total": shipping,
                "total_tax": "0.00",
                "taxes": [],
            }
        ],
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": list(refunds),
        "_links": {"self": [{"href": f"{SOURCE_URL}wp-json/wc/v3/orders/{order_id}"}]},
    }


def tracking_item(
    tracking_number: str, *, provider: str = "usps", tracking_id: str | None = None
) -> dict[str, Any]:
    """One parcel as the Shipment Tracking extension stores it in the order's meta data."""
    return {
        "tracking_provider": provider,
        "custom_tracking_provider": "",
        "custom_tracking_link": "",
        "tracking_number": tracking_number,
        "date_shipped": str(int(datetime.now(UTC).timestamp())),
        "tracking_id": tracking_id or secrets.token_hex(16),
    }


def refund(amount: str, *, refund_id: int | None = None, reason: str = "") -> dict[str, Any]:
    """A refund as listed in an order: its total is negative."""
    return {"id": refund_id or secrets.randbelow(10**6), "reason": reason, "total": f"-{amount}"}


def deleted(order_id: str | int) -> dict[str, Any]:
    """order.deleted sends only the id: the order is gone by then."""
    return {"id": _id(order_id)}


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate woocommerce <topic>` about `order_id`."""
    bodies: dict[str, dict[str, Any]] = {
        "order.created": order(order_id, status="pending"),
        "order.updated": order(order_id, status="processing"),
        "order.deleted": deleted(order_id),
        "order.restored": order(order_id, status="processing"),
    }
    if event_type not in bodies:
        raise KeyError(f"no sample for {event_type}; try one of {', '.join(bodies)}")
    return json.dumps(bodies[event_type]).encode()


def _address() -> dict[str, str]:
    return {
        "first_name": "John",
        "last_name": "Doe",
        "company": "",
        "address_1": "969 Market",
        "address_2": "",
        "city": "San Francisco",
        "state": "CA",
        "postcode": "94103",
        "country": "US",
    }


def _id(order_id: str | int) -> str | int:
    # WooCommerce ids are integers; simulated ones ("sim-4f2a1c") stay strings.
    return int(order_id) if str(order_id).isdigit() else order_id


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
