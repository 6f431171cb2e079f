"""News about one parcel: each detail follows the newest statement that named it.

A store's update (a Shopify fulfilment, a Standard Webhooks shipment) and a carrier's
scan (EasyPost, Shopify fulfilment events) each say some of a parcel's details, at the
provider's own time. Each detail keeps the time of the statement it came from
(`Shipment.field_times`), and only a statement at least as new replaces it: a late,
older update cannot overwrite the estimated delivery, tracking link or carrier, and a
newer one that does not mention a detail leaves it alone. Equal times are settled by
the value itself, so the same statements end in the same details in any arrival order.

The store's carrier name and tracking link win over a carrier's (a carrier's count only
where the store named none); the estimated delivery follows whoever is newest. Parcel
statuses only move forward along their rank, and a cancelled parcel stays cancelled.
"""

from __future__ import annotations

from datetime import datetime

from shopsync.clock import parse_iso8601, utcnow
from shopsync.models import Shipment
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders.lifecycle import SHIPMENT_RANK, shipment_rank

# What a store says about its parcel, and the part of it a carrier may say too.
STORE_DETAILS = ("carrier", "tracking_number", "tracking_url", "estimated_delivery", "partial")
STORE_WINS = ("carrier", "tracking_url")
# Carriers' statements of what the store wins are timed apart under this prefix.
CARRIER = "carrier:"
CANCELED = "canceled"
ETA = "estimated_delivery"


def apply_store_news(
    shipment: Shipment, details: dict[str, object], *, status: ShipmentStatus, at: datetime
) -> None:
    """The store's statement at `at`: the details it names (None: not named), its status."""
    times = dict(shipment.field_times or {})
    for name in STORE_DETAILS:
        _state(shipment, times, name, details.get(name), at=at, key=name)
    if shipment.source_updated_at is None or at > shipment.source_updated_at:
        shipment.source_updated_at = at
    _finish(shipment, times, status)


def apply_carrier_news(
    shipment: Shipment,
    *,
    status: ShipmentStatus,
    carrier: str | None,
    tracking_url: str | None,
    estimated_delivery: datetime | None,
    at: datetime,
) -> None:
    """A carrier's scan at `at`."""
    times = dict(shipment.field_times or {})
    for name, value in (("carrier", carrier), ("tracking_url", tracking_url)):
        # Only over what no store named (a value without a carrier's time is the store's).
        if name not in times and (CARRIER + name in times or getattr(shipment, name) is None):
            _state(shipment, times, name, value, at=at, key=CARRIER + name)
    _state(
        shipment, times, "estimated_delivery", estimated_delivery, at=at, key="estimated_delivery"
    )
    _finish(shipment, times, status)


def cancel(shipment: Shipment, at: datetime) -> bool:
    """Cancel the parcel for good as of `at`; returns whether it had been standing."""
    times = dict(shipment.field_times or {})
    held = canceled_at(shipment)
    if held is None or at < held:
        times[CANCELED] = at.isoformat()
        shipment.field_times = times
    was_standing = not shipment.canceled
    shipment.canceled = True
    return was_standing


def canceled_at(shipment: Shipment) -> datetime | None:
    """When the parcel was cancelled, by its source's clock."""
    return parse_iso8601((shipment.field_times or {}).get(CANCELED))


def _state(
    shipment: Shipment, times: dict[str, str], name: str, value: object, *, at: datetime, key: str
) -> None:
    """Take `value` for `name` if its statement is at least as new as the one held at `key`."""
    if value is None:
        return
    held = parse_iso8601(times.get(key))
    if held is None or at > held or (at == held and str(value) > str(getattr(shipment, name))):
        setattr(shipment, name, value)
        times[key] = at.isoformat()


def _finish(shipment: Shipment, times: dict[str, str], status: ShipmentStatus) -> None:
    shipment.field_times = times
    new_rank = SHIPMENT_RANK.get(status)
    if new_rank is not None and new_rank > shipment_rank(shipment.status):
        shipment.status = status
    shipment.updated_at = utcnow()
