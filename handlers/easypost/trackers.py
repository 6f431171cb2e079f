"""Tracker events: a carrier's progress moves the store's shipment with that tracking number.

A tracker knows nothing of the store's orders, only its tracking code, so it is linked
to the shipment the store announced (Shopify fulfillments, Standard Webhooks
shipments). When no such shipment exists yet the event is parked on the tracking
number and resumed as soon as a shipment with that number is recorded. The tracker's
`updated_at` dates its news: an older tracker update cannot overwrite the estimated
delivery of a newer one. A return tracker (`is_return: true`) follows the parcel on its
way back to the store: it is recorded as the order's return, not as the parcel sent.
"""

from __future__ import annotations

from typing import Any

from handlers.easypost.provider import NAME
from handlers.readers import MAX_TIME_TEXT, event_time
from shopsync.clock import parse_iso8601
from shopsync.errors import Ignored, Unprocessable
from shopsync.models import Shipment
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import tracking
from shopsync.orders.tracking import TrackingFacts
from shopsync.pipeline.registry import EventContext, registry
from shopsync.urls import safe_web_url

# EasyPost tracker status -> shipment status (see shopsync.orders.shipping).
STATUSES = {
    "pre_transit": ShipmentStatus.LABEL_CREATED,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "available_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "delivered": ShipmentStatus.DELIVERED,
    "return_to_sender": ShipmentStatus.RETURNED,
    "failure": ShipmentStatus.EXCEPTION,
    "error": ShipmentStatus.EXCEPTION,
}
# Nothing a shipment can show: not scanned yet, or the tracker was cancelled.
NO_NEWS_STATUSES = frozenset({"unknown", "cancelled"})


@registry.on(NAME, "tracker.created", "tracker.updated")
def update_shipment_tracking(ctx: EventContext) -> None:
    tracker = _tracker(ctx)
    tracking.record_carrier_news(ctx.work, _tracking_code(tracker), tracking_facts(tracker))


def tracking_facts(tracker: dict[str, Any]) -> TrackingFacts:
    """The tracker's news; optional fields that are malformed are left out, not fatal."""
    return TrackingFacts(
        status=_status(tracker),
        carrier=_short_text(tracker.get("carrier"), column_limit(Shipment, "carrier")),
        tracking_url=safe_web_url(
            tracker.get("public_url"), column_limit(Shipment, "tracking_url")
        ),
        estimated_delivery=parse_iso8601(
            _short_text(tracker.get("est_delivery_date"), MAX_TIME_TEXT)
        ),
        as_of=event_time(tracker.get("updated_at")),
        is_return=tracker.get("is_return") is True,
    )


def _tracker(ctx: EventContext) -> dict[str, Any]:
    result = ctx.payload.get("result")
    if not isinstance(result, dict) or result.get("object", "Tracker") != "Tracker":
        raise Unprocessable("event has no Tracker in result")
    return result


def _status(tracker: dict[str, Any]) -> ShipmentStatus:
    status = tracker.get("status")
    if status in NO_NEWS_STATUSES:
        raise Ignored("tracker has no carrier news yet (status unknown or cancelled)")
    if not isinstance(status, str) or status not in STATUSES:
        raise Unprocessable(f"result.status must be one of {', '.join(sorted(STATUSES))}")
    return STATUSES[status]


def _tracking_code(tracker: dict[str, Any]) -> str:
    limit = column_limit(Shipment, "tracking_number")
    code = _short_text(tracker.get("tracking_code"), limit)
    if code is None:
        raise Unprocessable(f"result.tracking_code must be 1 to {limit} characters")
    return code


def _short_text(value: object, limit: int) -> str | None:
    if not isinstance(value, str) or "\x00" in value:
        return None
    value = value.strip()
    return value if 0 < len(value) <= limit else None
