"""Parcels from WooCommerce's Shipment Tracking extension, read from the order's meta data.

The extension keeps an order's tracking numbers in the order meta
`_wc_shipment_tracking_items`: a list of `{tracking_provider, custom_tracking_provider,
custom_tracking_link, tracking_number, date_shipped, tracking_id}`, where `tracking_id`
is random per item. Every order snapshot carries the whole list, so the newest snapshot
(by `date_modified_gmt`) is the truth: each item is a shipment, and a shipment whose
item is no longer listed was removed by the merchant and is cancelled (only by a
snapshot strictly newer than the one that listed it). Older snapshots change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.readers import ID_LIMIT, objects, text
from handlers.woocommerce.provider import NAME
from handlers.woocommerce.resources import unescaped
from shopsync.models import Order, Shipment
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import shipping
from shopsync.orders.shipping import ShipmentFacts
from shopsync.urls import safe_web_url
from shopsync.work import UnitOfWork

TRACKING_META = "_wc_shipment_tracking_items"
PREFIX = f"{NAME}:tracking:"


def sync_tracking(work: UnitOfWork, order: Order, data: dict[str, Any], as_of: datetime) -> None:
    """Record the listed parcels and cancel the ones no longer listed (newest snapshot only)."""
    listed = [facts for item in tracking_items(data) if (facts := _facts(item, as_of))]
    for facts in listed:
        shipping.record_shipment(work, order, facts)
    shipping.cancel_unlisted(
        work, order, prefix=PREFIX, listed={f.external_id for f in listed}, as_of=as_of
    )


def tracking_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    for meta in objects(data.get("meta_data")):
        if meta.get("key") == TRACKING_META:
            return objects(meta.get("value"))
    return []


def _facts(item: dict[str, Any], as_of: datetime) -> ShipmentFacts | None:
    number = text(item.get("tracking_number"), column_limit(Shipment, "tracking_number"))
    key = text(item.get("tracking_id"), ID_LIMIT) or number
    if number is None or key is None:
        return None
    carrier = item.get("custom_tracking_provider") or item.get("tracking_provider")
    return ShipmentFacts(
        external_id=PREFIX + key,
        status=ShipmentStatus.IN_TRANSIT,
        carrier=text(unescaped(carrier), column_limit(Shipment, "carrier")),
        tracking_number=number,
        tracking_url=safe_web_url(
            item.get("custom_tracking_link"), column_limit(Shipment, "tracking_url")
        ),
        as_of=as_of,
    )
