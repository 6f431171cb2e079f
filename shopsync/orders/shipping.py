"""Shipping: shipments move an order towards delivered, and cancelled ones stop counting.

Each shipment is a row by its source's id. Its status only moves forward along its rank
(label_created → in_transit → out_for_delivery / available_for_pickup → delivered); a
status shopsync does not know is recorded as `unknown` and ranks nowhere. Its carrier,
tracking link and estimated delivery follow the newest statement that named each, by
the provider's own time (see `parcels`), so a late, older update cannot overwrite them.
A cancelled shipment (a Shopify fulfilment cancelled, a WooCommerce tracking number
removed) stays cancelled and no longer counts.

The order's fulfilment is recomputed from the shipments that stand and from what its
newest snapshot claims (Shopify's `fulfillment_status`, WooCommerce's `completed`),
unless a shipment was cancelled after that snapshot (see `lifecycle.fulfillment_stage`).
Problems (exception, returned) flag the order for the owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from shopsync import waits
from shopsync.models import Order, Shipment
from shopsync.models.vocabulary import ShipmentStatus
from shopsync.orders import parcels
from shopsync.orders.lifecycle import Fulfillment, Milestone, fulfillment_stage, moved_forward
from shopsync.orders.orders import flag_attention, touch
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork

PROBLEM_STATUSES = frozenset({ShipmentStatus.EXCEPTION, ShipmentStatus.RETURNED})


def shipment_status(value: str) -> ShipmentStatus:
    """The status named by `value`, or UNKNOWN: never guessed into a rank."""
    try:
        return ShipmentStatus(value)
    except ValueError:
        return ShipmentStatus.UNKNOWN


def _known_shipments(session: Session, store_id: int, external_ids: Sequence[str]) -> set[str]:
    statement = select(Shipment.external_id).where(
        Shipment.store_id == store_id, col(Shipment.external_id).in_(list(external_ids))
    )
    return set(session.exec(statement))


def _known_tracking(session: Session, store_id: int, numbers: Sequence[str]) -> set[str]:
    upper = func.upper(Shipment.tracking_number)
    statement = select(upper).where(Shipment.store_id == store_id, upper.in_(list(numbers)))
    return {number for number in session.exec(statement) if number}


# A carrier's update about a parcel the store has not announced yet waits for it: by
# tracking number (EasyPost), or by the shipment's id (a Shopify fulfilment's scans).
TRACKING = waits.register("tracking", _known_tracking)
SHIPMENT = waits.register("shipment", _known_shipments)


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
    # The source cancelled it (it never counts again).
    canceled: bool = False
    # The provider's time of this news (default: the unit of work's time).
    as_of: datetime | None = None


def record_shipment(work: UnitOfWork, order: Order, facts: ShipmentFacts) -> Shipment:
    """Create or update the shipment, then recompute the order's fulfilment."""
    shipment, canceled_now = upsert_shipment(work, order, facts)
    if canceled_now:
        add_milestone(work, order, Milestone.SHIPMENT_CANCELED)
    elif facts.status in PROBLEM_STATUSES and not facts.canceled:
        flag_attention(work, order, f"delivery problem: {facts.status.value}")
    settle_fulfillment(work, order)
    return shipment


def claim_fulfillment(work: UnitOfWork, order: Order, stage: Fulfillment) -> None:
    """What the order's newest snapshot says has shipped (call only for the newest)."""
    held = order.claimed_fulfillment or Fulfillment.UNFULFILLED
    order.claimed_fulfillment = stage
    if held != stage:
        settle_fulfillment(work, order)


def cancel_unlisted(
    work: UnitOfWork, order: Order, *, prefix: str, listed: set[str], as_of: datetime
) -> None:
    """Cancel a source's parcels that its complete list, newer than theirs, no longer names."""
    if order.fulfillment_status == Fulfillment.UNFULFILLED:
        return  # nothing stands, so nothing to cancel (and no query for a new order)
    dropped = [
        shipment
        for shipment in order_shipments(work, order)
        if shipment.external_id.startswith(prefix)
        and shipment.external_id not in listed
        and not (shipment.canceled or shipment.is_return)
        and shipment.source_updated_at is not None
        and shipment.source_updated_at < as_of
    ]
    for shipment in dropped:
        parcels.cancel(shipment, as_of)
        work.session.add(shipment)
    if dropped:
        add_milestone(work, order, Milestone.SHIPMENT_CANCELED)
        settle_fulfillment(work, order)


def settle_fulfillment(work: UnitOfWork, order: Order) -> None:
    """Recompute the fulfilment stage; moving forward to a stage is a milestone."""
    shipments = order_shipments(work, order)
    stage = fulfillment_stage(_standing_claim(order, shipments), shipments)
    before = order.fulfillment_status
    if stage != before:
        order.fulfillment_status = stage
        if moved_forward(before, stage):
            if moved_forward(Fulfillment.SHIPPED, stage):
                # Beyond shipped means it shipped: that moment is told even when skipped.
                add_milestone(work, order, Milestone.SHIPPED)
            add_milestone(work, order, Milestone(stage.value))
    touch(work, order)


def _standing_claim(order: Order, shipments: list[Shipment]) -> Fulfillment | None:
    """The snapshot's claim, unless a shipment was cancelled after that snapshot."""
    snapshot = order.source_updated_at
    for shipment in shipments:
        canceled_at = parcels.canceled_at(shipment)
        if shipment.canceled and canceled_at and (snapshot is None or canceled_at > snapshot):
            return None
    return Fulfillment(order.claimed_fulfillment) if order.claimed_fulfillment else None


def order_shipments(work: UnitOfWork, order: Order) -> list[Shipment]:
    statement = select(Shipment).where(Shipment.order_id == order.id)
    return list(work.session.exec(statement.order_by(col(Shipment.id))))


def find_shipment(work: UnitOfWork, external_id: str) -> Shipment | None:
    statement = select(Shipment).where(
        Shipment.store_id == work.store_id, Shipment.external_id == external_id
    )
    return work.session.exec(statement).first()


def upsert_shipment(
    work: UnitOfWork, order: Order, facts: ShipmentFacts, *, is_return: bool = False
) -> tuple[Shipment, bool]:
    """The shipment with what `facts` say; returns it and whether it was just cancelled."""
    assert order.id is not None
    shipment = find_shipment(work, facts.external_id)
    new = shipment is None
    if shipment is None:
        shipment = Shipment(
            store_id=order.store_id,
            order_id=order.id,
            external_id=facts.external_id,
            status=ShipmentStatus.LABEL_CREATED,
            is_return=is_return,
        )
    known_tracking = shipment.tracking_number
    canceled_now = _apply(shipment, facts, facts.as_of or work.at) and not new
    work.session.add(shipment)
    work.session.flush()
    if shipment.tracking_number and shipment.tracking_number != known_tracking:
        # Carrier events waiting for this tracking number can now find their shipment.
        work.made_known(tracking_key(shipment.tracking_number))
    if new:
        work.made_known(SHIPMENT.key(shipment.external_id))
    return shipment, canceled_now


def _apply(shipment: Shipment, facts: ShipmentFacts, at: datetime) -> bool:
    """The store's news; returns whether it cancelled a parcel that was standing."""
    details = {name: getattr(facts, name) for name in parcels.STORE_DETAILS}
    parcels.apply_store_news(shipment, details, status=facts.status, at=at)
    return facts.canceled and parcels.cancel(shipment, at)


def tracking_key(tracking_number: str) -> str:
    """What work waiting for this tracking number waits on (letter case ignored)."""
    return TRACKING.key(tracking_number.strip().upper())
