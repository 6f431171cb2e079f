"""Carrier scans: fulfillment_events/create moves a fulfilment's parcels as a tracker would.

Shopify records the carrier's progress on a fulfilment as fulfillment events (in
transit, out for delivery, delivered, failure, ...), each with the time it happened
and, at times, a new estimated delivery. Like an EasyPost tracker, a scan moves the
parcels forward only, changes the estimated delivery only if it is at least as new as
what is held, and flags problems. The set of statuses grows with API versions: one
shopsync does not know moves nothing (its ETA still counts). A scan about a
fulfilment not recorded yet waits for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.readers import MAX_TIME_TEXT, event_time, id_of
from handlers.shopify.fulfillments import SHIPMENT_STATUSES
from handlers.shopify.kinds import FULFILLMENT_EVENT
from handlers.shopify.provider import NAME
from shopsync.clock import parse_iso8601
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import tracking
from shopsync.orders.tracking import TrackingFacts
from shopsync.pipeline.registry import EventContext, registry

SCAN_STATUSES = {
    **SHIPMENT_STATUSES,
    "delayed": ShipmentStatus.IN_TRANSIT,
    "buyer_action_required": ShipmentStatus.EXCEPTION,
    "returning_to_sender": ShipmentStatus.RETURNED,
    "ready_for_recipient_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
}


@registry.on(NAME, *FULFILLMENT_EVENT.topics)
def record_carrier_scan(ctx: EventContext) -> None:
    scan = ctx.payload
    FULFILLMENT_EVENT.require(scan, ctx.event.event_type)
    facts = scan_facts(scan)
    shipment_id = f"{NAME}:fulfillment:{id_of(scan, 'fulfillment_id')}"
    for shipment in tracking.find_shipments(ctx.work, shipment_id):
        tracking.record_tracking(ctx.work, shipment, facts)


def scan_facts(scan: dict[str, Any]) -> TrackingFacts:
    return TrackingFacts(
        status=SCAN_STATUSES.get(str(scan.get("status")), ShipmentStatus.UNKNOWN),
        estimated_delivery=_estimate(scan.get("estimated_delivery_at")),
        as_of=event_time(scan.get("happened_at")) or event_time(scan.get("updated_at")),
    )


def _estimate(value: object) -> datetime | None:
    # An estimate lies in the future, so it is not held to event_time's window.
    return parse_iso8601(value) if isinstance(value, str) and len(value) <= MAX_TIME_TEXT else None
