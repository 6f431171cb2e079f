"""EasyPost trackers: verified by HMAC, linked to the store's shipment by tracking number."""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.easypost import samples as easypost
from handlers.easypost.provider import PROVIDER
from handlers.standard import samples as standard
from shopsync.models import Order, Shipment
from shopsync.models.vocabulary import Fulfillment, Payment, ShipmentStatus
from shopsync.pipeline.jobs import relay
from shopsync.runtime import Runtime
from shopsync.stores.provisioning import set_secrets
from shopsync.web.state import app_state
from tests.support import (
    StoreFixture,
    body_of,
    deliver,
    event_statuses,
    events,
    order,
    timeline,
    work_queue,
)

CODE = "EZ4000000004"


def tracker_event(status: str = "in_transit", code: str = CODE, **kwargs: Any) -> dict[str, Any]:
    return easypost.event(easypost.tracker(code, status=status), **kwargs)


def post(client: FlaskClient, store: StoreFixture, body: bytes, signature: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hmac-Signature"] = signature
    return client.post(store.path("easypost"), data=body, headers=headers)


def hex_signature(body: bytes, key: bytes) -> str:
    return "hmac-sha256-hex=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def shipments(rt: Runtime) -> list[Shipment]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Shipment).order_by(col(Shipment.id))))


def announce(client: FlaskClient, store: StoreFixture, order_id: str, **shipment: Any) -> None:
    """The store reports a paid order and its parcel (Standard Webhooks)."""
    deliver(client, store, "standard", standard.event("order.created", standard.order(order_id)))
    parcel = standard.shipment(order_id, **shipment)
    deliver(client, store, "standard", standard.event("shipment.created", parcel))


# --- verification --------------------------------------------------------------------


def test_signed_tracker_event_is_recorded_under_its_event_id(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = deliver(client, store, "easypost", tracker_event(event_id="evt_abc"))
    assert (response.status_code, response.json) == (200, {"status": "recorded"})
    [event] = events(runtime)
    assert (event.event_id, event.event_type) == ("evt_abc", "tracker.updated")


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "hmac-sha256-hex=",
        "hmac-sha256-hex=zz",
        "sha256=" + "0" * 64,
        "é" * 80,
        "hmac-sha256-hex=" + "0" * 64,
    ],
)
def test_missing_or_malformed_signatures_are_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, signature: str | None
) -> None:
    assert post(client, store, body_of(tracker_event()), signature).status_code == 400
    assert events(runtime) == []


def test_wrong_secret_uppercase_hex_and_changed_body_are_refused(
    client: FlaskClient, store: StoreFixture
) -> None:
    body = body_of(tracker_event())
    good = hex_signature(body, store.secret("easypost").encode())
    assert post(client, store, body, hex_signature(body, b"not-the-secret")).status_code == 400
    assert post(client, store, body, good.upper()).status_code == 400
    assert post(client, store, body + b" ", good).status_code == 400
    assert post(client, store, body, good).status_code == 200


def test_the_secret_is_nfkd_normalised_as_easypost_does(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    composed = "caf\u00e9-\ufb01le-secret-2026"  # é and the "fi" ligature, as typed in a form
    set_secrets(
        runtime.engine, runtime.vault, store_id=store.id, provider="easypost", secrets=[composed]
    )
    with app.app_context():
        app_state().directory.forget()
    body = body_of(tracker_event())
    normalised = unicodedata.normalize("NFKD", composed).encode()
    assert post(client, store, body, hex_signature(body, normalised)).status_code == 200
    assert post(client, store, body, hex_signature(body, composed.encode())).status_code == 400


def test_every_secret_of_a_rotating_endpoint_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    old, new = store.secret("easypost"), PROVIDER.new_secret()
    set_secrets(
        runtime.engine, runtime.vault, store_id=store.id, provider="easypost", secrets=[new, old]
    )
    with app.app_context():
        app_state().directory.forget()
    assert deliver(client, store, "easypost", tracker_event(), secret=new).status_code == 200
    assert deliver(client, store, "easypost", tracker_event(), secret=old).status_code == 200
    assert deliver(client, store, "easypost", tracker_event(), secret="other").status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": "evt_1", "result": "\xff"}', "body is not valid UTF-8"),
        (b'{"id": ', "body is not valid JSON"),
        (b"[]", "JSON body must be an object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "JSON nested deeper than 64 levels"),
    ],
)
def test_unreadable_bodies_get_a_short_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, body: bytes, message: str
) -> None:
    signature = hex_signature(body, store.secret("easypost").encode())
    response = post(client, store, body, signature)
    assert (response.status_code, response.json) == (400, {"error": message})
    assert events(runtime) == []


def test_duplicate_event_is_processed_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(client, store, "A-1", tracking_number=CODE)
    event = tracker_event("out_for_delivery")
    assert deliver(client, store, "easypost", event).json == {"status": "recorded"}
    assert deliver(client, store, "easypost", event).json == {"status": "duplicate"}
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"] * 3


# --- linking trackers to shipments ---------------------------------------------------


def test_full_journey_from_order_to_doorstep(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(client, store, "A-1", tracking_number=CODE, status="label_created")
    work_queue(runtime)
    for status in ("pre_transit", "in_transit", "out_for_delivery", "delivered"):
        deliver(client, store, "easypost", tracker_event(status))
        work_queue(runtime)
    delivered = order(runtime, store.id, "A-1")
    assert delivered is not None and delivered.state == "delivered"
    assert timeline(runtime, delivered.id) == [
        "created",
        "paid",
        "shipped",
        "out_for_delivery",
        "delivered",
    ]
    assert [s.status for s in shipments(runtime)] == ["delivered"]
    assert set(event_statuses(runtime)) == {"processed"}


def test_tracker_before_its_shipment_is_parked_then_resumed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(client, store, "easypost", tracker_event("out_for_delivery", code="ez1234567890"))
    work_queue(runtime)
    [parked] = events(runtime)
    assert (parked.status, parked.waiting_for) == ("parked", "tracking:EZ1234567890")
    announce(client, store, "A-1", tracking_number="EZ1234567890", status="in_transit")
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"] * 3
    [parcel] = shipments(runtime)
    assert parcel.status == "out_for_delivery"
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "out_for_delivery"


def test_tracker_resumes_when_a_known_shipment_gains_its_tracking_number(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(client, store, "A-1", tracking_number=None, status="label_created")
    deliver(client, store, "easypost", tracker_event("in_transit"))
    work_queue(runtime)
    assert event_statuses(runtime)[-1] == "parked"
    update = standard.shipment("A-1", tracking_number=CODE, status="label_created")
    deliver(client, store, "standard", standard.event("shipment.updated", update))
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}
    assert [s.status for s in shipments(runtime)] == ["in_transit"]


def test_the_relay_resumes_a_tracker_whose_wake_up_was_missed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(client, store, "easypost", tracker_event("delivered", code="1z999aa10123456784"))
    work_queue(runtime)
    assert event_statuses(runtime) == ["parked"]
    # The shipment appears without waking anyone: the race the relay's backstop covers.
    with Session(runtime.engine) as session, session.begin():
        paid = Order(
            store_id=store.id,
            external_id="A-1",
            public_token="tok-a-1",
            state="shipped",
            payment_status=Payment.PAID,
            fulfillment_status=Fulfillment.SHIPPED,
        )
        session.add(paid)
        session.flush()
        assert paid.id is not None
        session.add(
            Shipment(
                store_id=store.id,
                order_id=paid.id,
                external_id="s1",
                tracking_number="1Z999AA10123456784",
                status=ShipmentStatus.IN_TRANSIT,
            )
        )
    assert relay() == 1
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "delivered"


def test_a_partial_parcel_delivered_does_not_deliver_the_whole_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(
        client, store, "A-1", tracking_number=CODE, partial=True, carrier=None, tracking_url=None
    )
    deliver(client, store, "easypost", tracker_event("delivered"))
    work_queue(runtime)
    partial = order(runtime, store.id, "A-1")
    assert partial is not None and partial.state == "partially_shipped"
    [parcel] = shipments(runtime)
    assert (parcel.status, parcel.carrier) == ("delivered", "USPS")
    assert parcel.tracking_url is not None and parcel.tracking_url.startswith("https://track.")


def test_the_stores_carrier_name_and_link_win_but_the_eta_follows_the_carrier(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce(client, store, "A-1", tracking_number=CODE, estimated_delivery="2030-01-01")
    event = tracker_event("in_transit")
    event["result"]["est_delivery_date"] = "2030-01-03T18:00:00Z"
    deliver(client, store, "easypost", event)
    work_queue(runtime)
    [parcel] = shipments(runtime)
    assert (parcel.carrier, parcel.status) == ("DHL Express", "in_transit")
    assert parcel.tracking_url is not None and "dhl.com" in parcel.tracking_url
    assert parcel.estimated_delivery is not None
    assert parcel.estimated_delivery.isoformat().startswith("2030-01-03T18:00")


@pytest.mark.parametrize("status", ["return_to_sender", "failure", "error"])
def test_carrier_problems_flag_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, status: str
) -> None:
    announce(client, store, "A-1", tracking_number=CODE)
    deliver(client, store, "easypost", tracker_event(status))
    work_queue(runtime)
    flagged = order(runtime, store.id, "A-1")
    expected = "returned" if status == "return_to_sender" else "exception"
    assert flagged is not None and flagged.needs_attention == f"delivery problem: {expected}"


@pytest.mark.parametrize(
    ("change", "outcome", "reason"),
    [
        ({"status": "unknown"}, "ignored", "no carrier news"),
        ({"status": "cancelled"}, "ignored", "no carrier news"),
        ({"status": "lost_in_space"}, "unprocessable", "result.status must be one of"),
        ({"tracking_code": ""}, "unprocessable", "result.tracking_code"),
        ({"tracking_code": "X" * 121}, "unprocessable", "result.tracking_code"),
        ({"object": "Batch"}, "unprocessable", "no Tracker"),
    ],
)
def test_trackers_without_usable_news_change_nothing(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    change: dict[str, Any],
    outcome: str,
    reason: str,
) -> None:
    event = tracker_event()
    event["result"].update(change)
    deliver(client, store, "easypost", event)
    work_queue(runtime)
    [row] = events(runtime)
    assert row.status == outcome
    assert row.last_error is not None and reason in row.last_error
    assert shipments(runtime) == []


def test_event_without_result_is_unprocessable_and_other_events_are_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    no_result = tracker_event()
    del no_result["result"]
    deliver(client, store, "easypost", no_result)
    deliver(client, store, "easypost", tracker_event(description="batch.updated"))
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable", "ignored"]


def test_test_mode_trackers_are_ignored_by_a_live_store(
    client: FlaskClient, store: StoreFixture, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    for target in (store, test_mode_store):
        announce(client, target, "A-1", tracking_number=CODE)
        deliver(client, target, "easypost", tracker_event("delivered", mode="test"))
    work_queue(runtime)
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "shipped"
    assert getattr(order(runtime, test_mode_store.id, "A-1"), "state", None) == "delivered"


def test_simulated_trackers_follow_the_simulated_parcel(
    client: FlaskClient, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    for event_type in ("order.created", "shipment.created"):
        body = standard.sample(event_type, "sim-1")
        deliver(client, test_mode_store, "standard", body)
    for event_type in ("tracker.created", "tracker.updated", "tracker.updated:delivered"):
        body = easypost.sample(event_type, "sim-1")
        assert json.loads(body)["result"]["tracking_code"] == standard.tracking_number_for("sim-1")
        deliver(client, test_mode_store, "easypost", body)
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}
    assert getattr(order(runtime, test_mode_store.id, "sim-1"), "state", None) == "delivered"
    with pytest.raises(KeyError):
        easypost.sample("tracker.updated:teleported", "sim-1")
