"""EasyPost trackers that arrive late, and trackers of parcels coming back to the store.

Bodies are EasyPost's Event/Tracker shapes (as in its published fixtures), signed with
the endpoint's secret, delivered in both orders and twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.easypost import samples as easypost
from handlers.standard import samples as standard
from shopsync.models import Shipment
from shopsync.runtime import Runtime
from tests.support import (
    ARRIVALS,
    StoreFixture,
    arriving,
    deliver,
    event_statuses,
    order,
    timeline,
    work_queue,
)

CODE = "EZ4000000004"
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def stamp(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def tracker(status: str, minutes: int, **fields: Any) -> dict[str, Any]:
    """A tracker.updated event whose Tracker was last updated at `minutes`."""
    result = easypost.tracker(CODE, status=status, updated_at=stamp(minutes), **fields)
    return easypost.event(result)


def announce(client: FlaskClient, store: StoreFixture, runtime: Runtime) -> None:
    """The store reports the paid order and its parcel, naming no carrier, link or estimate."""
    parcel = standard.shipment(
        "A-1", tracking_number=CODE, carrier=None, tracking_url=None, estimated_delivery=None
    )
    for event_type, data in (
        ("order.created", standard.order("A-1")),
        ("shipment.created", parcel),
    ):
        deliver(client, store, "standard", standard.event(event_type, data))
    work_queue(runtime)


def deliver_all(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, bodies: list[Any]
) -> None:
    for body in bodies:
        assert deliver(client, store, "easypost", body).status_code == 200
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}


def parcels(runtime: Runtime) -> list[Shipment]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(Shipment).order_by(col(Shipment.id))))


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_an_older_tracker_update_does_not_overwrite_the_newer_details(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    announce(client, store, runtime)
    newer = tracker(
        "out_for_delivery",
        30,
        carrier="FedEx",
        est_delivery_date=stamp(60 * 5),
        public_url="https://track.easypost.com/djE6dHJrXzJuZXdlcg",
    )
    older = tracker(
        "in_transit",
        10,
        carrier="USPS",
        est_delivery_date=stamp(60 * 48),
        public_url="https://track.easypost.com/djE6dHJrXzFvbGRlcg",
    )
    deliver_all(client, store, runtime, arriving([older, newer], arrival))
    [parcel] = parcels(runtime)
    assert parcel.status == "out_for_delivery"
    assert parcel.estimated_delivery == START + timedelta(minutes=60 * 5)
    assert (parcel.carrier, parcel.tracking_url) == (
        "FedEx",
        "https://track.easypost.com/djE6dHJrXzJuZXdlcg",
    )


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_newer_update_without_an_estimate_keeps_the_last_one_given(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    announce(client, store, runtime)
    journey = [
        tracker("in_transit", 10, est_delivery_date=stamp(60 * 48)),
        tracker("out_for_delivery", 20, est_delivery_date=stamp(60 * 5)),
        tracker("delivered", 30, est_delivery_date=None),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    [parcel] = parcels(runtime)
    assert (parcel.status, parcel.estimated_delivery) == (
        "delivered",
        START + timedelta(minutes=60 * 5),
    )


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_return_tracker_is_recorded_as_a_return_not_as_the_parcel_sent(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    announce(client, store, runtime)
    journey = [
        tracker("delivered", 10),
        # The customer sends it back on a return label for the same code.
        tracker("in_transit", 60 * 24, is_return=True),
        tracker("delivered", 60 * 48, is_return=True),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    delivered = order(runtime, store.id, "A-1")
    assert delivered is not None and delivered.state == "delivered"
    assert delivered.needs_attention is None
    sent, returning = parcels(runtime)
    assert (sent.is_return, sent.status) == (False, "delivered")
    assert (returning.is_return, returning.status, returning.external_id) == (
        True,
        "delivered",
        f"{sent.external_id}:return",
    )
    assert "return_started" in timeline(runtime, delivered.id)


def test_a_return_tracker_alone_does_not_move_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(client, store, runtime)
    deliver_all(client, store, runtime, [tracker("delivered", 10, is_return=True)])
    shipped = order(runtime, store.id, "A-1")
    assert shipped is not None and shipped.state == "shipped"
    assert [p.status for p in parcels(runtime)] == ["label_created", "delivered"]
