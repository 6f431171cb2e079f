"""Carrier news: scans of a parcel the store announced, found by tracking number or id.

A carrier (EasyPost) knows a parcel only by its tracking number; a Shopify fulfilment's
scans name the fulfilment. Either way the news moves the shipment's status forward and,
if it is at least as new as what is held, its estimated delivery; the store's own
carrier name and tracking link win over the carrier's. News about a parcel not
announced yet waits for it. A return tracker (EasyPost `is_return`) is about a parcel
coming back to the store: it is recorded as that order's return shipment, which never
moves the order's fulfilment, and leaves the outbound parcel as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from shopsync.errors import NotYetKnown
from shopsync.models import Order, Shipment
from shopsync.models.vocabulary import Milestone, ShipmentStatus
from shopsync.orders import parcels
from shopsync.orders.orders import flag_attention
from shopsync.orders.shipping import (
    PROBLEM_STATUSES,
    SHIPMENT,
    ShipmentFacts,
    settle_fulfillment,
    tracking_key,
    upsert_shipment,
)
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork

RETURN_SUFFIX = ":return"


@dataclass(frozen=True)
class TrackingFacts:
    """What a carrier says about a parcel it knows only by tracking number."""

    status: ShipmentStatus
    carrier: str | None = None
    tracking_url: str | None = None
    estimated_delivery: datetime | None = None
    # The provider's time of this news (default: the unit of work's time).
    as_of: datetime | None = None
    # The parcel is on its way back to the store.
    is_return: bool = False


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


def find_shipments(work: UnitOfWork, external_id: str) -> list[Shipment]:
    """The outbound parcels of one store shipment (`id`, `id:2`, ...); waits for them."""
    statement = (
        select(Shipment)
        .where(
            Shipment.store_id == work.store_id,
            or_(
                col(Shipment.external_id) == external_id,
                col(Shipment.external_id).startswith(external_id + ":"),
            ),
            col(Shipment.is_return).is_(False),
        )
        .order_by(col(Shipment.id))
    )
    shipments = list(work.session.exec(statement))
    if not shipments:
        raise NotYetKnown(SHIPMENT.key(external_id))
    return shipments


def record_carrier_news(work: UnitOfWork, tracking_number: str, facts: TrackingFacts) -> None:
    """Apply a carrier's news to the parcels with this number: outbound, or their returns."""
    shipments = find_shipments_for_tracking(work, tracking_number)
    outbound = [s for s in shipments if not s.is_return]
    if not facts.is_return:
        targets = outbound
    else:
        returns = {s.external_id: s for s in shipments if s.is_return}
        for parcel in outbound:
            if parcel.external_id + RETURN_SUFFIX not in returns:
                started = _start_return(work, parcel, facts.as_of)
                returns[started.external_id] = started
        targets = list(returns.values())
    for shipment in targets:
        record_tracking(work, shipment, facts)


def record_tracking(work: UnitOfWork, shipment: Shipment, facts: TrackingFacts) -> Order:
    """A carrier's update on a shipment the store announced; returns its order.

    Unlike `shipping.record_shipment` it does not restate how much of the order shipped
    (a carrier cannot know), and the store's own carrier name and tracking link win.
    """
    order = _locked_order(work, shipment.order_id)
    # Re-read under the order's lock: the store's shipment events write under it too.
    work.session.refresh(shipment)
    parcels.apply_carrier_news(
        shipment,
        status=facts.status,
        carrier=facts.carrier,
        tracking_url=facts.tracking_url,
        estimated_delivery=facts.estimated_delivery,
        at=facts.as_of or work.at,
    )
    work.session.add(shipment)
    if shipment.is_return:
        return order
    if facts.status in PROBLEM_STATUSES:
        flag_attention(work, order, f"delivery problem: {facts.status.value}")
    settle_fulfillment(work, order)
    return order


def _start_return(work: UnitOfWork, outbound: Shipment, as_of: datetime | None) -> Shipment:
    order = _locked_order(work, outbound.order_id)
    facts = ShipmentFacts(
        external_id=outbound.external_id + RETURN_SUFFIX,
        status=ShipmentStatus.LABEL_CREATED,
        tracking_number=outbound.tracking_number,
        as_of=as_of,
    )
    shipment, _ = upsert_shipment(work, order, facts, is_return=True)
    add_milestone(work, order, Milestone.RETURN_STARTED)
    return shipment


def _locked_order(work: UnitOfWork, order_id: int) -> Order:
    statement = select(Order).where(Order.id == order_id).with_for_update()
    return work.session.exec(statement).one()
