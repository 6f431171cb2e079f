"""Fulfillments: a parcel leaves the shop, then its carrier reports on it.

Only a fulfillment whose `status` is `success` has shipped; pending, open and failed
ones ship nothing. A `cancelled` one (fulfillments/update after the merchant cancels
it) stops counting: its parcels are recorded as cancelled, for good, so a stale
"success" delivered later cannot bring them back. Its `shipment_status` (null until a
carrier reports) maps onto shopsync's shipment statuses, and its `updated_at` dates
the news, so an older update cannot overwrite the carrier, link or ETA of a newer one.
A fulfillment is partial when it carries fewer items than the order; the order counts
as fully shipped once an order snapshot says so (`fulfillment_status: fulfilled`,
whatever topic brought it).
"""

from __future__ import annotations

from typing import Any

from handlers.readers import event_time, id_of, objects, text
from handlers.shopify.kinds import FULFILLMENT
from handlers.shopify.provider import NAME
from handlers.shopify.resources import quantity_of
from shopsync.errors import Ignored
from shopsync.models import Order, Shipment
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import items, orders, shipping
from shopsync.pipeline.registry import EventContext, registry
from shopsync.urls import safe_web_url

SHIPPED = "success"
CANCELLED = "cancelled"
SHIPMENT_STATUSES = {
    "confirmed": ShipmentStatus.LABEL_CREATED,
    "label_printed": ShipmentStatus.LABEL_CREATED,
    "label_purchased": ShipmentStatus.LABEL_CREATED,
    "carrier_picked_up": ShipmentStatus.IN_TRANSIT,
    "picked_up": ShipmentStatus.IN_TRANSIT,
    "in_transit": ShipmentStatus.IN_TRANSIT,
    "out_for_delivery": ShipmentStatus.OUT_FOR_DELIVERY,
    "ready_for_pickup": ShipmentStatus.AVAILABLE_FOR_PICKUP,
    "delivered": ShipmentStatus.DELIVERED,
    "attempted_delivery": ShipmentStatus.EXCEPTION,
    "failure": ShipmentStatus.EXCEPTION,
}


@registry.on(NAME, *FULFILLMENT.topics)
def record_fulfillment_tracking(ctx: EventContext) -> None:
    fulfillment = ctx.payload
    FULFILLMENT.require(fulfillment, ctx.event.event_type)
    order = orders.find_order(ctx.work, id_of(fulfillment, "order_id"))
    if not record_shipment(
        ctx, order, fulfillment, ordered=items.ordered_quantity(ctx.work, order)
    ):
        raise Ignored("fulfillment has not shipped (status is not success or cancelled)")


def record_shipment(
    ctx: EventContext, order: Order, fulfillment: dict[str, Any], *, ordered: int
) -> bool:
    """Record the fulfillment's parcels if it shipped or was cancelled; returns whether."""
    canceled = fulfillment.get("status") == CANCELLED
    status = ShipmentStatus.LABEL_CREATED if canceled else shipment_status(fulfillment)
    if status is None:
        return False
    numbers = _strings(fulfillment, "tracking_numbers", "tracking_number")
    urls = _strings(fulfillment, "tracking_urls", "tracking_url")
    number_limit = column_limit(Shipment, "tracking_number")
    # One shipment per tracking number (Shopify lists them in step with their URLs), so
    # a carrier's tracker, which knows one parcel by its number, finds its own.
    for index in range(max(len(numbers), 1)):
        suffix = f":{index + 1}" if index else ""
        number = _at(numbers, index)
        facts = shipping.ShipmentFacts(
            external_id=f"{NAME}:fulfillment:{id_of(fulfillment)}{suffix}",
            status=status,
            carrier=text(fulfillment.get("tracking_company"), column_limit(Shipment, "carrier")),
            # A clipped tracking number or link would be a wrong one: too long is left out.
            tracking_number=number if number and len(number) <= number_limit else None,
            tracking_url=safe_web_url(_at(urls, index), column_limit(Shipment, "tracking_url")),
            partial=is_partial(fulfillment, ordered=ordered),
            canceled=canceled,
            as_of=event_time(fulfillment.get("updated_at")),
        )
        shipping.record_shipment(ctx.work, order, facts)
    return True


def shipment_status(fulfillment: dict[str, Any]) -> ShipmentStatus | None:
    """shopsync's status for a fulfillment, or None when nothing has shipped."""
    if fulfillment.get("status") != SHIPPED:
        return None
    reported = fulfillment.get("shipment_status")
    # A shipped parcel with no carrier report yet, or a report we do not know, is on its way.
    known = SHIPMENT_STATUSES.get(reported) if isinstance(reported, str) else None
    return known or ShipmentStatus.IN_TRANSIT


def is_partial(fulfillment: dict[str, Any], *, ordered: int) -> bool:
    items = objects(fulfillment.get("line_items"))
    if ordered > 0:
        return quantity_of(items) < ordered
    # The order's items are unknown (it came from a payment): trust Shopify's count of
    # what is still left to fulfil on the lines this parcel carries.
    return any(_positive(item.get("fulfillable_quantity")) for item in items)


def _strings(obj: dict[str, Any], plural: str, singular: str) -> list[str]:
    values = obj.get(plural)
    candidates = values if isinstance(values, list) and values else [obj.get(singular)]
    return [
        value.strip()
        for value in candidates
        if isinstance(value, str) and value.strip() and "\x00" not in value
    ]


def _at(values: list[str], index: int) -> str | None:
    return values[index] if index < len(values) else None


def _positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
