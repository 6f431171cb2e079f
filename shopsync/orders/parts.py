"""An order's rows read together: its items, parcels and timeline, each in order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from shopsync.models import OrderLineItem, Shipment, TimelineEntry


@dataclass(frozen=True)
class OrderParts:
    line_items: list[OrderLineItem]
    shipments: list[Shipment]
    # Oldest first, by when each milestone happened.
    timeline: list[TimelineEntry]


def order_parts(session: Session, order_id: int) -> OrderParts:
    items = select(OrderLineItem).where(OrderLineItem.order_id == order_id)
    parcels = select(Shipment).where(Shipment.order_id == order_id)
    entries = select(TimelineEntry).where(TimelineEntry.order_id == order_id)
    return OrderParts(
        line_items=list(session.exec(items.order_by(col(OrderLineItem.id)))),
        shipments=list(session.exec(parcels.order_by(col(Shipment.id)))),
        timeline=list(
            session.exec(entries.order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id)))
        ),
    )
