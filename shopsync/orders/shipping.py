"""Shipping service: shipments and their tracking move an order towards delivered.

Shipment statuses only move forward (label_created → in_transit → out_for_delivery /
available_for_pickup → delivered). Once the order is fully shipped, its fulfillment
stage follows its least advanced shipment, so a two-parcel order is delivered when
both parcels are. Problems (exception, returned) flag the order for the owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from shopsync.clock import utcnow
from shopsync.errors import OrderNotYetKnown
from shopsync.models import Order, Shipment
from shopsync.orders import orders
from shopsync.orders.lifecycle import FULFILLMENT_ORDER, Fulfillment
from shopsync.pipeline.inbox import TRACKING_KEY_PREFIX
from shopsync.pipeline.registry import EventContext

SHIPMENT_RANK = {
    "label_created": 0,
    "in_transit": 1,
    "out_for_delivery": 2,
    "available_for_pickup": 2,
    "delivered": 3,
}
PROBLEM_STATUSES = frozenset({"exception", "returned", "failure"})
STAGE_FOR_RANK = {
    0: Fulfillment.SHIPPED,
    1: Fulfillment.SHIPPED,
    2: Fulfillment.OUT_FOR_DELIVERY,
    3: Fulfillment.DELIVERED,
}


@dataclass(frozen=True)
class ShipmentFacts:
    """What a store or carrier says about one parcel; None means "not said"."""

    external_id: str
    status: str = "in_transit"
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    estimated_delivery: datetime | None = None
    # True when this shipment carries only part of the order.
    partial: bool = False


@dataclass(frozen=True)
class TrackingFacts:
    """What a carrier's tracker says about a parcel it knows only by tracking number."""

    status: str
    carrier: str | None = None
    tracking_url: str | None = None
    estimated_delivery: datetime | None = None


def record_shipment(ctx: EventContext, order: Order, facts: ShipmentFacts) -> Shipment:
    """Create or update the shipment, then move the order's fulfillment forward."""
    shipment = _upsert(ctx, order, facts)
    if facts.status in PROBLEM_STATUSES:
        orders.flag_attention(ctx, order, f"delivery problem: {facts.status}")
    target = Fulfillment.PARTIALLY_SHIPPED if facts.partial else Fulfillment.SHIPPED
    orders.record_fulfillment(ctx, order, target)
    follow_shipments(ctx, order)
    return shipment


def mark_fully_shipped(ctx: EventContext, order: Order) -> None:
    """The store says everything has shipped (Shopify `orders/fulfilled`, say)."""
    orders.record_fulfillment(ctx, order, Fulfillment.SHIPPED)
    follow_shipments(ctx, order)


def follow_shipments(ctx: EventContext, order: Order) -> None:
    fully_shipped = FULFILLMENT_ORDER.index(Fulfillment(order.fulfillment_status)) >= (
        FULFILLMENT_ORDER.index(Fulfillment.SHIPPED)
    )
    ranks = [SHIPMENT_RANK.get(s.status, 0) for s in _shipments(ctx, order)]
    if fully_shipped and ranks:
        orders.record_fulfillment(ctx, order, STAGE_FOR_RANK[min(ranks)])


def _shipments(ctx: EventContext, order: Order) -> list[Shipment]:
    return list(ctx.session.exec(select(Shipment).where(Shipment.order_id == order.id)))


def _upsert(ctx: EventContext, order: Order, facts: ShipmentFacts) -> Shipment:
    assert order.id is not None
    shipment = ctx.session.exec(
        select(Shipment).where(
            Shipment.store_id == order.store_id, Shipment.external_id == facts.external_id
        )
    ).first()
    if shipment is None:
        shipment = Shipment(
            store_id=order.store_id,
            order_id=order.id,
            external_id=facts.external_id,
            status="label_created",
        )
    known_tracking = shipment.tracking_number
    _apply(shipment, facts)
    ctx.session.add(shipment)
    ctx.session.flush()
    if shipment.tracking_number and shipment.tracking_number != known_tracking:
        # Carrier events parked on this tracking number can now find their shipment.
        ctx.arrived.append(tracking_key(shipment.tracking_number))
    return shipment


def _apply(shipment: Shipment, facts: ShipmentFacts) -> None:
    for name in ("carrier", "tracking_number", "tracking_url", "estimated_delivery"):
        value = getattr(facts, name)
        if value is not None:
            setattr(shipment, name, value)
    new_rank = SHIPMENT_RANK.get(facts.status)
    if new_rank is not None and new_rank > SHIPMENT_RANK.get(shipment.status, 0):
        shipment.status = facts.status
    shipment.updated_at = utcnow()


def tracking_key(tracking_number: str) -> str:
    """What an event waiting for this tracking number is parked on (case-insensitive)."""
    return TRACKING_KEY_PREFIX + tracking_number.strip().upper()


def find_shipments_for_tracking(ctx: EventContext, tracking_number: str) -> list[Shipment]:
    """The store's shipments with this tracking number; parks the event while there are none.

    Stores and carriers disagree on letter case, so the match ignores it (as does
    `inbox.unpark_ready`, which resumes the parked event).
    """
    wanted = tracking_number.strip().upper()
    statement = (
        select(Shipment)
        .where(Shipment.store_id == ctx.store.id, func.upper(Shipment.tracking_number) == wanted)
        .order_by(Shipment.id)  # type: ignore[arg-type]
    )
    shipments = list(ctx.session.exec(statement))
    if not shipments:
        raise OrderNotYetKnown(tracking_key(tracking_number))
    return shipments


def record_tracking(ctx: EventContext, shipment: Shipment, facts: TrackingFacts) -> Order:
    """A carrier's update on a shipment the store announced; returns its order.

    Unlike `record_shipment` it does not restate how much of the order shipped (a
    tracker cannot know), and the store's own carrier name and tracking link win.
    """
    order = ctx.session.exec(
        select(Order).where(Order.id == shipment.order_id).with_for_update()
    ).one()
    # Re-read under the order's lock: the store's shipment events write under it too.
    ctx.session.refresh(shipment)
    update = ShipmentFacts(
        external_id=shipment.external_id,
        status=facts.status,
        carrier=None if shipment.carrier else facts.carrier,
        tracking_url=None if shipment.tracking_url else facts.tracking_url,
        estimated_delivery=facts.estimated_delivery,
    )
    _apply(shipment, update)
    ctx.session.add(shipment)
    if facts.status in PROBLEM_STATUSES:
        orders.flag_attention(ctx, order, f"delivery problem: {facts.status}")
    follow_shipments(ctx, order)
    return order
