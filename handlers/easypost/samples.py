"""Realistic EasyPost tracker events, shaped like EasyPost's own examples (simulate, tests)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

# A simulated tracker follows the parcel a simulated Standard Webhooks store announced.
from handlers.standard.samples import tracking_number_for

# What the store must have said before a tracker about its parcel means anything.
STORE_PROVIDER = "standard"
ORDER_ANNOUNCEMENT = "order.created"
SHIPMENT_ANNOUNCEMENT = "shipment.created"

TRACKER_STATUSES = (
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "available_for_pickup",
    "delivered",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
)
STATUS_DETAILS = {
    "pre_transit": "label_created",
    "in_transit": "arrived_at_facility",
    "out_for_delivery": "out_for_delivery",
    "delivered": "arrived_at_destination",
    "return_to_sender": "return",
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def tracker(
    tracking_code: str,
    *,
    status: str = "in_transit",
    carrier: str = "USPS",
    mode: str = "production",
    **extra: Any,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    tracker_id = "trk_" + secrets.token_hex(16)
    return {
        "id": tracker_id,
        "object": "Tracker",
        "mode": mode,
        "tracking_code": tracking_code,
        "status": status,
        "status_detail": STATUS_DETAILS.get(status, "unknown"),
        "created_at": _stamp(now - timedelta(days=1)),
        "updated_at": _stamp(now),
        "signed_by": "John Tester" if status == "delivered" else None,
        "weight": None,
        "est_delivery_date": _stamp(now + timedelta(days=2)),
        "shipment_id": None,
        "carrier": carrier,
        "tracking_details": [_detail(status, now)],
        "carrier_detail": {"object": "CarrierDetail", "service": "First-Class Package Service"},
        "public_url": f"https://track.easypost.com/djE6{tracker_id}",
        "fees": [],
        **extra,
    }


def _detail(status: str, moment: datetime) -> dict[str, Any]:
    return {
        "object": "TrackingDetail",
        "message": status.replace("_", " ").capitalize(),
        "status": status,
        "status_detail": STATUS_DETAILS.get(status, "unknown"),
        "datetime": _stamp(moment),
        "source": "USPS",
        "tracking_location": {
            "object": "TrackingLocation",
            "city": "Charleston",
            "state": "SC",
            "country": "US",
            "zip": "29407",
        },
    }


def event(
    result: dict[str, Any],
    *,
    description: str = "tracker.updated",
    event_id: str | None = None,
    mode: str | None = None,
) -> dict[str, Any]:
    now = _stamp(datetime.now(UTC))
    return {
        "id": event_id or "evt_" + secrets.token_hex(16),
        "object": "Event",
        "description": description,
        "mode": mode or result.get("mode", "production"),
        "previous_attributes": {"status": "unknown"},
        "created_at": now,
        "updated_at": now,
        "pending_urls": [],
        "completed_urls": [],
        "user_id": "user_" + secrets.token_hex(16),
        "status": "pending",
        "result": result,
    }


def sample(event_type: str, order_id: str) -> bytes:
    """A body for `shopsync simulate easypost <event type>` about `order_id`'s parcel.

    `tracker.updated:<status>` picks the tracker status (default in_transit), so a
    parcel can be walked through pre_transit → ... → delivered.
    """
    description, _, status = event_type.partition(":")
    defaults = {"tracker.created": "pre_transit", "tracker.updated": "in_transit"}
    if description not in defaults or (status and status not in TRACKER_STATUSES):
        raise KeyError(
            f"no sample for {event_type}; try tracker.created, tracker.updated or "
            f"tracker.updated:<{'|'.join(TRACKER_STATUSES)}>"
        )
    result = tracker(
        tracking_number_for(order_id), status=status or defaults[description], mode="test"
    )
    return json.dumps(event(result, description=description)).encode()


def prelude(event_type: str, order_id: str, order_known: bool) -> list[tuple[str, str]]:
    """What `shopsync simulate` sends first: the store announcing the tracked parcel.

    EasyPost reports on a tracking number; shopsync matches it to a shipment the store
    announced (and parks the tracker until then). So the store's order (unless it is
    known already) and its shipment with that number go first, from the store.
    """
    del event_type, order_id
    steps = [(STORE_PROVIDER, SHIPMENT_ANNOUNCEMENT)]
    return steps if order_known else [(STORE_PROVIDER, ORDER_ANNOUNCEMENT), *steps]
