"""Standard Webhooks: verified on the raw bytes, then orders and shipments move as documented."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, col, select
from werkzeug.datastructures import Headers

from handlers.standard import samples
from handlers.standard.orders import PAYMENT_STATUSES
from handlers.standard.provider import EVENT_TYPES, PROVIDER
from handlers.standard.shipments import SHIPMENT_STATUSES
from shopsync.errors import InvalidSignature
from shopsync.models import OrderLineItem, Shipment
from shopsync.pipeline.endpoints import EndpointInfo
from shopsync.pipeline.registry import IncomingRequest
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
    signed_headers,
    timeline,
    work_queue,
)

SCHEMA = Path(__file__).parents[1] / "handlers" / "schemas" / "standard-webhooks.schema.json"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def send(
    client: FlaskClient, store: StoreFixture, event_type: str, data: dict[str, Any], **kwargs: Any
) -> Any:
    return deliver(client, store, "standard", samples.event(event_type, data), **kwargs)


def post(client: FlaskClient, store: StoreFixture, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(store.path("standard"), data=body, headers=headers)


def verify(headers: dict[str, str], body: bytes, secrets: list[str]) -> object:
    incoming = IncomingRequest(method="POST", headers=Headers(headers), body=body)
    endpoint = EndpointInfo(store_id=1, provider="standard", secrets=tuple(secrets), livemode=True)
    return PROVIDER.verify(incoming, endpoint, time.time())


def shipments(rt: Runtime) -> list[Shipment]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Shipment).order_by(col(Shipment.id))))


# --- verification --------------------------------------------------------------------


def test_signed_delivery_is_recorded_under_its_webhook_id(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = send(client, store, "order.created", samples.order("A-1"), message_id="msg_1")
    assert (response.status_code, response.json) == (200, {"status": "recorded"})
    [event] = events(runtime)
    assert (event.provider, event.event_id, event.event_type) == (
        "standard",
        "msg_1",
        "order.created",
    )


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_each_signature_header_is_required(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, missing: str
) -> None:
    body = body_of(samples.event("order.created", samples.order("A-1")))
    headers = signed_headers("standard", body, store.secret("standard"))
    del headers[missing]
    response = post(client, store, body, headers)
    assert (response.status_code, response.json) == (400, {"error": f"missing {missing} header"})
    assert events(runtime) == []


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "v1",
        "v1,",
        "v1,abc",
        "v1,!!!!",
        "v1,a,b",
        "v1,é",
        "v2,AAAA",
        "v1,c2lnbmF0dXJl",
        "v1a,AAAA",
        "v1,AAAA  v1,BBBB",
    ],
)
def test_garbage_signatures_are_refused_not_crashed_on(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, signature: str
) -> None:
    body = body_of(samples.event("order.created", samples.order("A-1")))
    headers = signed_headers("standard", body, store.secret("standard"))
    headers["webhook-signature"] = signature
    assert post(client, store, body, headers).status_code == 400
    assert events(runtime) == []


# HTTP header values cannot hold line breaks (werkzeug refuses them before we could).
HEADER_TEXT = st.characters(exclude_characters="\r\n")


@given(
    signature=st.text(HEADER_TEXT, max_size=120),
    secret=st.text(max_size=60),
    stamp=st.text(HEADER_TEXT, max_size=20),
)
def test_no_header_or_secret_garbage_escapes_as_anything_but_invalid_signature(
    signature: str, secret: str, stamp: str
) -> None:
    body = b'{"type": "order.created", "data": {}}'
    headers = PROVIDER.sign(
        body, SECRET, timestamp=time.time(), event_id="msg_fuzz", event_type="order.created"
    )
    headers["webhook-signature"] = signature
    with pytest.raises(InvalidSignature):
        verify(headers, body, [secret, "whsec_" + secret])
    headers = PROVIDER.sign(
        body, SECRET, timestamp=time.time(), event_id="msg_fuzz", event_type="order.created"
    )
    headers["webhook-timestamp"] = stamp
    with pytest.raises(InvalidSignature):
        verify(headers, body, [SECRET])


FULLWIDTH_123 = "\uff11\uff12\uff13"  # str.isdigit() says yes; int() would even parse it


@pytest.mark.parametrize("stamp", ["abc", "1.7e9", " 1700000000", "-5", FULLWIDTH_123, "9" * 400])
def test_timestamps_must_be_plain_unix_seconds(stamp: str) -> None:
    body = b"{}"
    headers = PROVIDER.sign(
        body, SECRET, timestamp=time.time(), event_id="msg_1", event_type="order.created"
    )
    headers["webhook-timestamp"] = stamp
    with pytest.raises(InvalidSignature):
        verify(headers, body, [SECRET])


def test_wrong_or_another_stores_secret_is_refused(
    client: FlaskClient, store: StoreFixture, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    data = samples.order("A-1")
    for secret in (SECRET, test_mode_store.secret("standard")):
        response = send(client, store, "order.created", data, secret=secret)
        assert response.status_code == 400
        assert "signature" in response.json["error"]
    assert events(runtime) == []


# Five seconds either side of the tolerance: whole-second timestamps and a slow request on
# a busy machine must not decide the answer.
@pytest.mark.parametrize(
    ("offset", "accepted"), [(-295, True), (-305, False), (295, True), (305, False), (3600, False)]
)
def test_timestamp_tolerance_is_five_minutes_both_ways(
    client: FlaskClient, store: StoreFixture, offset: int, accepted: bool
) -> None:
    response = send(
        client, store, "order.created", samples.order("A-1"), timestamp=time.time() + offset
    )
    assert response.status_code == (200 if accepted else 400)


def test_every_secret_of_a_rotating_endpoint_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    old, new = store.secret("standard"), PROVIDER.new_secret()
    set_secrets(
        runtime.engine, runtime.vault, store_id=store.id, provider="standard", secrets=[new, old]
    )
    with app.app_context():
        app_state().directory.forget()
    data = samples.order("A-1")
    assert send(client, store, "order.created", data, secret=new).status_code == 200
    assert send(client, store, "order.created", data, secret=old).status_code == 200
    assert send(client, store, "order.created", data, secret=SECRET).status_code == 400


def test_any_listed_signature_passes_while_the_sender_rotates(
    client: FlaskClient, store: StoreFixture
) -> None:
    body = body_of(samples.event("order.created", samples.order("A-1")))
    now = time.time()
    good = signed_headers(
        "standard", body, store.secret("standard"), timestamp=now, message_id="msg_r"
    )
    stale = signed_headers("standard", body, SECRET, timestamp=now, message_id="msg_r")
    good["webhook-signature"] = f"{stale['webhook-signature']} {good['webhook-signature']}"
    assert post(client, store, body, good).status_code == 200


def test_reserialized_body_or_changed_id_fails_verification(
    client: FlaskClient, store: StoreFixture
) -> None:
    body = body_of(samples.event("order.created", samples.order("A-1")))
    headers = signed_headers("standard", body, store.secret("standard"), message_id="msg_a")
    reserialized = json.dumps(json.loads(body), indent=2).encode()
    assert post(client, store, reserialized, headers).status_code == 400
    assert post(client, store, body, {**headers, "webhook-id": "msg_b"}).status_code == 400


def test_overlong_webhook_id_is_refused_rather_than_cut(
    client: FlaskClient, store: StoreFixture
) -> None:
    response = send(client, store, "order.created", samples.order("A-1"), message_id="m" * 256)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type": "order.created", "data": {"id": "\xff"}}', "body is not valid UTF-8"),
        (b'{"type": ', "body is not valid JSON"),
        (b'[{"type": "order.created"}]', "JSON body must be an object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "JSON nested deeper than 64 levels"),
    ],
)
def test_unreadable_bodies_get_a_short_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, body: bytes, message: str
) -> None:
    # Signed by hand on the raw bytes: the spec's HMAC over "id.timestamp.body".
    stamp = str(int(time.time()))
    key = base64.b64decode(store.secret("standard").removeprefix("whsec_"))
    mac = hmac.new(key, b"msg_bad." + stamp.encode() + b"." + body, hashlib.sha256).digest()
    headers = {
        "webhook-id": "msg_bad",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }
    response = post(client, store, body, headers)
    assert (response.status_code, response.json) == (400, {"error": message})
    assert events(runtime) == []


def test_new_secrets_are_whsec_base64_of_32_random_bytes() -> None:
    first, second = PROVIDER.new_secret(), PROVIDER.new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


# --- orders --------------------------------------------------------------------------


def test_order_created_records_the_order_customer_and_line_items(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.created", samples.order("A-1", payment_status="awaiting_payment"))
    work_queue(runtime)
    created = order(runtime, store.id, "A-1")
    assert created is not None
    assert (
        created.number,
        created.email,
        created.currency,
        created.total_amount,
        created.state,
    ) == ("#A-1", "ada.lovelace@example.com", "EUR", 5350, "awaiting_payment")
    assert created.customer_id is not None
    with Session(runtime.engine) as session:
        items = session.exec(select(OrderLineItem).where(OrderLineItem.order_id == created.id))
        assert sorted((i.sku, i.quantity, i.unit_amount) for i in items) == [
            ("BP-02", 1, 950),
            ("WDO-01", 1, 3900),
        ]
    assert timeline(runtime, created.id) == ["created"]


@pytest.mark.parametrize(
    ("statuses", "state", "milestones"),
    [
        (["awaiting_payment", "paid"], "paid", ["created", "paid"]),
        (["payment_failed", "paid"], "paid", ["created", "payment_failed", "paid"]),
        (["paid", "refunded"], "refunded", ["created", "paid", "refunded"]),
        (["paid", "payment_failed", "awaiting_payment"], "paid", ["created", "paid"]),
    ],
)
def test_payment_status_moves_the_order_forward_only(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    statuses: list[str],
    state: str,
    milestones: list[str],
) -> None:
    for index, status in enumerate(statuses):
        event_type = "order.created" if index == 0 else "order.updated"
        send(client, store, event_type, samples.order("A-1", payment_status=status))
        work_queue(runtime)
    paid = order(runtime, store.id, "A-1")
    assert paid is not None and paid.state == state
    assert timeline(runtime, paid.id) == milestones


def test_a_payment_of_the_edited_total_marks_the_edited_order_paid(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    placed = datetime.now(UTC) - timedelta(minutes=2)
    edited = samples.event(
        "order.updated", samples.order("A-1", total=6000), timestamp=placed + timedelta(minutes=1)
    )
    created = samples.event(
        "order.created", samples.order("A-1", payment_status="awaiting_payment"), timestamp=placed
    )
    for event in (edited, created):  # the edit first: the older event changes nothing
        deliver(client, store, "standard", event)
    work_queue(runtime)
    paid = order(runtime, store.id, "A-1")
    assert paid is not None and (paid.state, paid.total_amount, paid.paid_amount) == (
        "paid",
        6000,
        6000,
    )
    assert paid.needs_attention is None


def test_cancel_before_anything_else_creates_a_canceled_order_that_stays_canceled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.canceled", {"id": 1001})
    work_queue(runtime)
    send(client, store, "order.created", {**samples.order("1001"), "id": 1001})
    work_queue(runtime)
    canceled = order(runtime, store.id, "1001")
    assert canceled is not None and canceled.canceled and canceled.state == "canceled"
    assert canceled.total_amount == 5350 and canceled.payment_status == "paid"
    assert canceled.needs_attention == "payment received for a canceled order"


def test_duplicate_and_resigned_retries_are_processed_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(samples.event("order.created", samples.order("A-1")))
    first = deliver(client, store, "standard", body, message_id="msg_dup")
    retry = deliver(
        client, store, "standard", body, message_id="msg_dup", timestamp=time.time() + 60
    )
    assert (first.json, retry.json) == ({"status": "recorded"}, {"status": "duplicate"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]


def test_unknown_event_type_is_recorded_and_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    assert send(client, store, "customer.created", {"id": "c1"}).status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]


# --- shipments -----------------------------------------------------------------------


def paid_order(client: FlaskClient, store: StoreFixture, runtime: Runtime, order_id: str) -> None:
    send(client, store, "order.created", samples.order(order_id))
    work_queue(runtime)


def test_shipment_created_records_the_parcel_and_ships_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    paid_order(client, store, runtime, "A-1")
    data = samples.shipment("A-1", estimated_delivery="2026-05-08T17:00:00+02:00")
    send(client, store, "shipment.created", data)
    work_queue(runtime)
    [parcel] = shipments(runtime)
    assert (parcel.external_id, parcel.carrier, parcel.tracking_number, parcel.status) == (
        "shp-A-1-1",
        "DHL Express",
        data["tracking_number"],
        "label_created",
    )
    assert parcel.tracking_url == data["tracking_url"]
    assert parcel.estimated_delivery is not None
    assert parcel.estimated_delivery.isoformat().startswith("2026-05-08T15:00:00")
    shipped = order(runtime, store.id, "A-1")
    assert shipped is not None and shipped.state == "shipped"
    assert timeline(runtime, shipped.id) == ["created", "paid", "shipped"]


def test_an_order_in_two_parcels_is_delivered_when_both_are(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    paid_order(client, store, runtime, "A-1")
    first = samples.shipment("A-1", shipment_id="p1", partial=True, status="in_transit")
    send(client, store, "shipment.created", first)
    work_queue(runtime)
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "partially_shipped"
    send(
        client,
        store,
        "shipment.created",
        samples.shipment("A-1", shipment_id="p2", status="in_transit"),
    )
    send(client, store, "shipment.delivered", {"id": "p1", "order_id": "A-1"})
    work_queue(runtime)
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "shipped"
    send(
        client, store, "shipment.delivered", {"id": "p2", "order_id": "A-1", "status": "delivered"}
    )
    work_queue(runtime)
    delivered = order(runtime, store.id, "A-1")
    assert delivered is not None and delivered.state == "delivered"
    assert timeline(runtime, delivered.id) == [
        "created",
        "paid",
        "partially_shipped",
        "shipped",
        "delivered",
    ]


@pytest.mark.parametrize("problem", ["exception", "returned"])
def test_a_delivery_problem_flags_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, problem: str
) -> None:
    paid_order(client, store, runtime, "A-1")
    send(client, store, "shipment.updated", samples.shipment("A-1", status=problem))
    work_queue(runtime)
    flagged = order(runtime, store.id, "A-1")
    assert flagged is not None and flagged.needs_attention == f"delivery problem: {problem}"
    assert "needs_attention" in timeline(runtime, flagged.id)


def test_a_late_update_never_undoes_a_delivery(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    paid_order(client, store, runtime, "A-1")
    send(client, store, "shipment.delivered", samples.shipment("A-1", status="delivered"))
    work_queue(runtime)
    send(client, store, "shipment.updated", samples.shipment("A-1", status="in_transit"))
    work_queue(runtime)
    assert [s.status for s in shipments(runtime)] == ["delivered"]
    assert getattr(order(runtime, store.id, "A-1"), "state", None) == "delivered"


def test_a_shipment_before_its_order_is_parked_then_resumed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "shipment.created", samples.shipment("A-1", status="in_transit"))
    work_queue(runtime)
    [parked] = events(runtime)
    assert (parked.status, parked.waiting_for) == ("parked", "order:A-1")
    assert shipments(runtime) == []
    paid_order(client, store, runtime, "A-1")
    assert event_statuses(runtime) == ["processed", "processed"]
    shipped = order(runtime, store.id, "A-1")
    assert shipped is not None and shipped.state == "shipped"
    assert len(shipments(runtime)) == 1


# --- unprocessable payloads ----------------------------------------------------------

ORDER = samples.order("A-1")
PARCEL = samples.shipment("A-1")


@pytest.mark.parametrize(
    ("event_type", "data", "reason"),
    [
        ("order.created", None, "event has no data object"),
        ("order.created", {**ORDER, "id": None}, "data.id is required"),
        ("order.created", {**ORDER, "id": "   "}, "data.id is required"),
        ("order.created", {**ORDER, "total": -1}, "data.total must be an integer"),
        ("order.created", {**ORDER, "total": 53.5}, "data.total must be an integer"),
        ("order.created", {**ORDER, "total": "5350"}, "data.total must be an integer"),
        ("order.created", {**ORDER, "total": True}, "data.total must be an integer"),
        ("order.created", {**ORDER, "total": 2**31}, "data.total must be an integer"),
        ("order.updated", {**ORDER, "total": None}, "data.total is required"),
        ("order.created", {**ORDER, "currency": "euro"}, "data.currency must be a 3-letter"),
        ("order.created", {**ORDER, "currency": None}, "data.currency is required"),
        ("order.created", {**ORDER, "payment_status": "pending"}, "data.payment_status must be"),
        ("order.created", {**ORDER, "email": "ada at example"}, "data.email must be"),
        ("order.created", {**ORDER, "number": "#" * 65}, "data.number is longer than 64"),
        ("order.created", {**ORDER, "number": "10\x001"}, "data.number contains a NUL"),
        ("order.created", {**ORDER, "line_items": {"name": "Desk"}}, "data.line_items must be"),
        (
            "order.created",
            {**ORDER, "line_items": [{"name": "Desk", "quantity": 0}]},
            "data.line_items[0].quantity must be",
        ),
        (
            "order.created",
            {**ORDER, "line_items": [{"quantity": 1}]},
            "data.line_items[0].name is required",
        ),
        (
            "order.canceled",
            {"id": "A-1", "payment_status": "paid"},
            "payment_status needs data.total and data.currency",
        ),
        ("shipment.created", {**PARCEL, "order_id": None}, "data.order_id is required"),
        ("shipment.created", {**PARCEL, "id": False}, "data.id must be a string"),
        ("shipment.created", {**PARCEL, "status": None}, "data.status must be one of"),
        ("shipment.updated", {**PARCEL, "status": "lost"}, "data.status must be one of"),
        ("shipment.updated", {**PARCEL, "tracking_url": "javascript:alert(1)"}, "http(s) URL"),
        ("shipment.updated", {**PARCEL, "partial": "yes"}, "data.partial must be true or false"),
        ("shipment.updated", {**PARCEL, "estimated_delivery": "next tuesday"}, "ISO-8601"),
        ("shipment.updated", {**PARCEL, "tracking_number": "Z" * 121}, "longer than 120"),
        ("shipment.delivered", {**PARCEL, "status": "in_transit"}, "other than delivered"),
    ],
)
def test_verified_but_unusable_events_are_unprocessable_with_no_business_write(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    event_type: str,
    data: dict[str, Any] | None,
    reason: str,
) -> None:
    if event_type.startswith("shipment."):
        paid_order(client, store, runtime, "A-1")
    body = samples.event(event_type, data or {})
    if data is None:
        del body["data"]
    assert deliver(client, store, "standard", body).status_code == 200
    work_queue(runtime)
    rejected = events(runtime)[-1]
    assert rejected.status == "unprocessable"
    assert rejected.last_error is not None and reason in rejected.last_error
    assert "javascript" not in rejected.last_error
    assert shipments(runtime) == []
    existing = order(runtime, store.id, "A-1")
    assert existing is None or existing.state == "paid"


# --- the published schema and samples ------------------------------------------------


def test_the_published_schema_names_what_the_handlers_accept() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]["type"]["enum"]) == EVENT_TYPES
    definitions = schema["$defs"]
    assert set(definitions["order"]["properties"]["payment_status"]["enum"]) == PAYMENT_STATUSES
    assert set(definitions["shipment"]["properties"]["status"]["enum"]) == SHIPMENT_STATUSES


def test_every_sample_is_processed(
    client: FlaskClient, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    assert PROVIDER.sample is not None
    for event_type in [
        "order.created",
        "order.updated",
        "shipment.created",
        "shipment.updated",
        "shipment.delivered",
        "order.canceled",
    ]:
        body = PROVIDER.sample(event_type, "sim-1")
        assert deliver(client, test_mode_store, "standard", body).status_code == 200
        work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}
    final = order(runtime, test_mode_store.id, "sim-1")
    assert final is not None and (final.state, final.fulfillment_status) == (
        "canceled",
        "delivered",
    )
