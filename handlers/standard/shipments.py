"""Shipment events from a custom store or carrier: parcels move the order towards delivered.

A shipment names its order by the store's order id; one that arrives before its order
is parked and resumed when the order does. Statuses never move backwards (see
`shopsync.orders.shipping`), so a late `shipment.updated` cannot undo a delivery.
"""

from __future__ import annotations

from typing import Any

from handlers.standard import fields
from handlers.standard.provider import NAME
from shopsync.errors import Unprocessable
from shopsync.models import Shipment
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import orders, shipping
from shopsync.orders.shipping import ShipmentFacts
from shopsync.pipeline.registry import EventContext, registry

DELIVERED = "delivered"
SHIPMENT_STATUSES = frozenset(
    {
        "label_created",
        "in_transit",
        "out_for_delivery",
        "available_for_pickup",
        DELIVERED,
        "exception",
        "returned",
    }
)


@registry.on(NAME, "shipment.created", "shipment.updated")
def record_shipment_status(ctx: EventContext) -> None:
    data = fields.event_data(ctx)
    status = fields.choice(data, "status", SHIPMENT_STATUSES, required=True)
    assert status is not None
    _record(ctx, data, status)


@registry.on(NAME, "shipment.delivered")
def record_shipment_delivered(ctx: EventContext) -> None:
    """The parcel arrived; the order is delivered once all its parcels have."""
    data = fields.event_data(ctx)
    status = fields.choice(data, "status", SHIPMENT_STATUSES) or DELIVERED
    if status != DELIVERED:
        raise Unprocessable("shipment.delivered with a data.status other than delivered")
    _record(ctx, data, DELIVERED)


def _record(ctx: EventContext, data: dict[str, Any], status: str) -> None:
    facts = shipment_facts(data, status)
    order = orders.find_order(ctx.work, fields.identifier(data, "order_id"))
    shipping.record_shipment(ctx.work, order, facts)


def shipment_facts(data: dict[str, Any], status: str) -> ShipmentFacts:
    return ShipmentFacts(
        external_id=fields.identifier(data, "id"),
        status=ShipmentStatus(status),
        carrier=fields.text(data, "carrier", max_length=column_limit(Shipment, "carrier")),
        tracking_number=fields.text(
            data, "tracking_number", max_length=column_limit(Shipment, "tracking_number")
        ),
        tracking_url=fields.web_url(
            data, "tracking_url", max_length=column_limit(Shipment, "tracking_url")
        ),
        estimated_delivery=fields.moment(data, "estimated_delivery"),
        partial=fields.flag(data, "partial"),
    )
