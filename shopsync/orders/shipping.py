"""Shipping: shipments and their tracking move an order towards delivered.

Shipment statuses only move forward along their rank (label_created → in_transit →
out_for_delivery / available_for_pickup → delivered). A status a carrier reports that
shopsync does not know is recorded as `unknown` and ranks nowhere: it never moves a
parcel. Once the order is fully shipped, its fulfillment stage follows its least
advanced shipment, so a two-parcel order is delivered when both parcels are. Problems
(exception, returned) flag the order for the owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from shopsync import waits
from shopsync.clock import utcnow
from shopsync.errors import NotYetKnown
from shopsync.models import Order, Shipment
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders.lifecycle import FULFILLMENT_ORDER, Fulfillment, Milestone, advance_fulfillment
from shopsync.orders.orders import flag_attention, touch
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork

SHIPMENT_RANK = {
    ShipmentStatus.LABEL_CREATED: 0,
    ShipmentStatus.IN_TRANSIT: 1,
    ShipmentStatus.OUT_FOR_DELIVERY: 2,
    ShipmentStatus.AVAILABLE_FOR_PICKUP: 2,
    ShipmentStatus.DELIVERED: 3,
}
PROBLEM_STATUSES = frozenset({ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED})
STAGE_FOR_RANK = {
    0: Fulfillment.SHIPPED,
    1: Fulfillment.SHIPPED,
    2: Fulfillment.OUT_FOR_DELIVERY,
    3: Fulfillment.DELIVERED,
}


def shipment_status(value: str) -> ShipmentStatus:
    """The status named by `value`, or UNKNOWN: never guessed into a rank."""
    try:
        return ShipmentStatus(value)
    except ValueError:
        return ShipmentStatus.UNKNOWN


def _known_tracking(session: Session, store_id: int, numbers: Sequence[str]) -> set[str]:
    upper = func.upper(Shipment.tracking_number)
    statement = select(upper).where(Shipment.store_id == store_id, upper.in_(list(numbers)))
    return {number for number in session.exec(statement) if number}


# A carrier's update about a parcel the store has not announced yet waits for it.
TRACKING = waits.register("tracking", _known_tracking)


@dataclass(frozen=True)
class ShipmentFacts:
    """What a store or carrier says about one parcel; None means "not said"."""

    external_id: str
    status: ShipmentStatus = ShipmentStatus.IN_TRANSIT
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    estimated_delivery: datetime | None = None
    # True when this shipment carries only part of the order.
    partial: bool = False


@dataclass(frozen=True)
class TrackingFacts:
    """What a carrier's tracker says about a parcel it knows only by tracking number."""

    status: ShipmentStatus
    carrier: str | None = None
    tracking_url: str | None = None
    estimated_delivery: datetime | None = None


def record_shipment(work: UnitOfWork, order: Order, facts: ShipmentFacts) -> Shipment:
    """Create or update the shipment, then move the order's fulfillment forward."""
    shipment = _upsert(work, order, facts)
    if facts.status in PROBLEM_STATUSES:
        flag_attention(work, order, f"delivery problem: {facts.status.value}")
    target = Fulfillment.PARTIALLY_SHIPPED if facts.partial else Fulfillment.SHIPPED
    record_fulfillment(work, order, target)
    follow_shipments(work, order)
    return shipment


def mark_fully_shipped(work: UnitOfWork, order: Order) -> None:
    """The store says everything has shipped (Shopify `orders/fulfilled`, say)."""
    record_fulfillment(work, order, Fulfillment.SHIPPED)
    follow_shipments(work, order)


def record_fulfillment(work: UnitOfWork, order: Order, target: Fulfillment) -> None:
    if advance_fulfillment(order, target):
        add_milestone(work, order, Milestone(target.value))
    touch(work, order)


def follow_shipments(work: UnitOfWork, order: Order) -> None:
    fully_shipped = FULFILLMENT_ORDER.index(Fulfillment(order.fulfillment_status)) >= (
        FULFILLMENT_ORDER.index(Fulfillment.SHIPPED)
    )
    ranks = [_rank(s.status) for s in _shipments(work, order)]
    if fully_shipped and ranks:
        record_fulfillment(work, order, STAGE_FOR_RANK[min(ranks)])


def _rank(status: str) -> int:
    return SHIPMENT_RANK.get(shipment_status(status), 0)


def _shipments(work: UnitOfWork, order: Order) -> list[Shipment]:
    return list(work.session.exec(select(Shipment).where(Shipment.order_id == order.id)))


def _upsert(work: UnitOfWork, order: Order, facts: ShipmentFacts) -> Shipment:
    assert order.id is not None
    shipment = work.session.exec(
        select(Shipment).where(
            Shipment.store_id == order.store_id, Shipment.external_id == facts.external_id
        )
    ).first()
    if shipment is None:
        shipment = Shipment(
            store_id=order.store_id,
            order_id=order.id,
            external_id=facts.external_id,
            status=ShipmentStatus.LABEL_CREATED,
        )
    known_tracking = shipment.tracking_number
    _apply(shipment, facts)
    work.session.add(shipment)
    work.session.flush()
    if shipment.tracking_number and shipment.tracking_number != known_tracking:
        # Carrier events waiting for this tracking number can now find their shipment.
        work.made_known(tracking_key(shipment.tracking_number))
    return shipment


def _apply(shipment: Shipment, facts: ShipmentFacts) -> None:
    for name in ("carrier", "tracking_number", "tracking_url", "estimated_delivery"):
        value = getattr(facts, name)
        if value is not None:
            setattr(shipment, name, value)
    new_rank = SHIPMENT_RANK.get(facts.status)
    if new_rank is not None and new_rank > _rank(shipment.status):
        shipment.status = facts.status
    shipment.updated_at = utcnow()


def tracking_key(tracking_number: str) -> str:
    """What work waiting for this tracking number waits on (letter case ignored)."""
    return TRACKING.key(tracking_number.strip().upper())


def find_shipments_for_tracking(work: UnitOfWork, tracking_number: str) -> list[Shipment]:
    """The store's shipments with this tracking number; waits while there are none.

    Stores and carriers disagree on letter case, so the match ignores it (as does the
    `tracking` wait kind, which resumes the waiting event).
    """
    wanted = tracking_number.strip().upper()
    statement = (
        select(Shipment)
        .where(Shipment.store_id == work.store_id, func.upper(Shipment.tracking_number) == wanted)
        .order_by(col(Shipment.id))
    )
    shipments = list(work.session.exec(statement))
    if not shipments:
        raise NotYetKnown(tracking_key(tracking_number))
    return shipments


def record_tracking(work: UnitOfWork, shipment: Shipment, facts: TrackingFacts) -> Order:
    """A carrier's update on a shipment the store announced; returns its order.

    Unlike `record_shipment` it does not restate how much of the order shipped (a
    tracker cannot know), and the store's own carrier name and tracking link win.
    """
    order = work.session.exec(
        select(Order).where(Order.id == shipment.order_id).with_for_update()
    ).one()
    # Re-read under the order's lock: the store's shipment events write under it too.
    work.session.refresh(shipment)
    update = ShipmentFacts(
        external_id=shipment.external_id,
        status=facts.status,
        carrier=None if shipment.carrier else facts.carrier,
        tracking_url=None if shipment.tracking_url else facts.tracking_url,
        estimated_delivery=facts.estimated_delivery,
    )
    _apply(shipment, update)
    work.session.add(shipment)
    if facts.status in PROBLEM_STATUSES:
        flag_attention(work, order, f"delivery problem: {facts.status.value}")
    follow_shipments(work, order)
    return order
