"""Realistic Standard Webhooks bodies, as a custom store would send them (simulate, tests)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

ORDER_TOTAL = 5_350
CURRENCY = "EUR"


def event(
    event_type: str, data: dict[str, Any], *, timestamp: datetime | None = None
) -> dict[str, Any]:
    moment = timestamp or datetime.now(UTC)
    return {"type": event_type, "timestamp": moment.isoformat(timespec="seconds"), "data": data}


def order(
    order_id: str,
    *,
    payment_status: str = "paid",
    total: int = ORDER_TOTAL,
    currency: str = CURRENCY,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "number": f"#{order_id}",
        "email": "ada.lovelace@example.com",
        "customer_name": "Ada Lovelace",
        "currency": currency,
        "total": total,
        "payment_status": payment_status,
        "line_items": [
            {"name": "Walnut desk organiser", "sku": "WDO-01", "quantity": 1, "unit_amount": 3_900},
            {"name": "Brass pen", "sku": "BP-02", "quantity": 1, "unit_amount": 950},
        ],
        **extra,
    }


def tracking_number_for(order_id: str) -> str:
    """A stable, EasyPost-test-style number per order, so simulated trackers find the parcel."""
    digest = int(hashlib.sha256(order_id.encode()).hexdigest()[:12], 16)
    return f"EZ{digest % 10**10:010d}"


def shipment(
    order_id: str,
    *,
    status: str = "label_created",
    shipment_id: str | None = None,
    partial: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    tracking = tracking_number_for(order_id)
    eta = datetime.now(UTC).date() + timedelta(days=3)
    return {
        "id": shipment_id or f"shp-{order_id}-1",
        "order_id": order_id,
        "carrier": "DHL Express",
        "tracking_number": tracking,
        "tracking_url": f"https://www.dhl.com/track?tracking-id={tracking}",
        "status": status,
        "estimated_delivery": eta.isoformat(),
        "partial": partial,
        **extra,
    }


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate standard <event type>` about `order_id`."""
    bodies: dict[str, dict[str, Any]] = {
        "order.created": order(order_id, payment_status="awaiting_payment"),
        "order.updated": order(order_id, payment_status="paid"),
        "order.canceled": order(order_id, payment_status="refunded"),
        "shipment.created": shipment(order_id, status="label_created"),
        "shipment.updated": shipment(order_id, status="out_for_delivery"),
        "shipment.delivered": shipment(order_id, status="delivered"),
    }
    if event_type not in bodies:
        raise KeyError(f"no sample for {event_type}; try one of {', '.join(bodies)}")
    return json.dumps(event(event_type, bodies[event_type])).encode()
