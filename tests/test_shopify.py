"""Shopify webhooks: verified on the raw bytes, and every topic moves the order as it should."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from handlers.shopify import PROVIDER, samples
from handlers.stripe import samples as stripe_samples
from shopsync.models import OrderLineItem, Refund, Shipment
from shopsync.runtime import Runtime
from shopsync.stores.provisioning import set_secrets
from shopsync.web.state import app_state
from tests.support import (
    StoreFixture,
    body_of,
    deliver,
    event_statuses,
    events,
    json_body,
    order,
    timeline,
    work_queue,
)

ORDER = "450789469"


def hoodies(quantity: int = 2) -> list[dict[str, Any]]:
    return [samples.line_item("Hoodie", "40.00", quantity, "HOOD-M", item_id=466157049)]


def shop_order(**kwargs: Any) -> dict[str, Any]:
    """Two hoodies at 40.00 plus 10.00 shipping: 90.00."""
    return samples.order(ORDER, items=kwargs.pop("items", hoodies()), **kwargs)


def parcel(**kwargs: Any) -> dict[str, Any]:
    return samples.fulfillment(
        ORDER,
        fulfillment_id=kwargs.pop("fulfillment_id", 255858046),
        items=kwargs.pop("items", hoodies()),
        **kwargs,
    )


def send(
    client: FlaskClient,
    store: StoreFixture,
    topic: str,
    payload: dict[str, Any] | bytes,
    *,
    event_id: str | None = None,
    **kwargs: Any,
) -> TestResponse:
    headers = {"X-Shopify-Topic": topic, **kwargs.pop("headers", {})}
    return deliver(
        client, store, "shopify", payload, headers=headers, message_id=event_id, **kwargs
    )


def post_raw(
    client: FlaskClient, store: StoreFixture, body: bytes, headers: dict[str, str]
) -> TestResponse:
    return client.post(store.path("shopify"), data=body, headers=headers)


def hand_signed(store: StoreFixture, body: bytes, **headers: str) -> dict[str, str]:
    """Shopify's documented scheme, written out independently of the provider module."""
    mac = hmac.new(store.secret("shopify").encode(), body, hashlib.sha256).digest()
    names = {
        "topic": "X-Shopify-Topic",
        "event_id": "X-Shopify-Event-Id",
        "webhook_id": "X-Shopify-Webhook-Id",
    }
    signed = {"X-Shopify-Hmac-Sha256": base64.b64encode(mac).decode()}
    return signed | {names[key]: value for key, value in headers.items()}


def shipments(rt: Runtime, order_id: int | None) -> list[Shipment]:
    with Session(rt.engine) as session:
        statement = select(Shipment).where(Shipment.order_id == order_id).order_by(col(Shipment.id))
        return list(session.exec(statement))


def the_order(rt: Runtime, store: StoreFixture) -> Any:
    found = order(rt, store.id, ORDER)
    assert found is not None
    return found


# --- verification -------------------------------------------------------------------


def test_signed_delivery_is_recorded_under_its_topic_keyed_and_dated_by_its_body(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shop_order()
    body["updated_at"] = "2025-03-29T14:00:27-04:00"
    response = send(
        client,
        store,
        "orders/create",
        body,
        event_id="evt-1",
        headers={"X-Shopify-Triggered-At": "2031-01-01T00:00:00Z"},
    )
    assert response.status_code == 200
    assert response.json == {"status": "recorded"}
    [event] = events(runtime)
    digest = hashlib.sha256(body_of(body)).hexdigest()[:32]
    assert (event.provider, event.event_type, event.event_id) == (
        "shopify",
        "orders/create",
        f"order:{ORDER}:2025-03-29T14:00:27-04:00:{digest}",
    )
    assert event.occurred_at.replace(tzinfo=UTC) == datetime(2025, 3, 29, 18, 0, 27, tzinfo=UTC)


def test_hmac_computed_as_shopify_documents_it_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(shop_order())
    headers = hand_signed(store, body, topic="orders/create", event_id="evt-2")
    assert post_raw(client, store, body, headers).status_code == 200
    assert events(runtime)[0].payload == body.decode()


@pytest.mark.parametrize("signature", [None, "", "garbage", base64.b64encode(b"\0" * 32).decode()])
def test_missing_or_malformed_signature_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, signature: str | None
) -> None:
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": "evt-3"}
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    response = post_raw(client, store, body_of(shop_order()), headers)
    assert response.status_code == 400
    assert json_body(response)["error"] in (
        "missing X-Shopify-Hmac-Sha256 header",
        "signature does not match this endpoint's secrets",
    )
    assert events(runtime) == []


def test_wrong_secret_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = send(client, store, "orders/create", shop_order(), secret="not-the-shops-secret")
    assert response.status_code == 400
    assert events(runtime) == []


def test_reserialized_body_fails_verification(client: FlaskClient, store: StoreFixture) -> None:
    body = body_of(shop_order())
    headers = hand_signed(store, body, topic="orders/create", event_id="evt-4")
    reserialized = json.dumps(json.loads(body), indent=2).encode()
    assert post_raw(client, store, reserialized, headers).status_code == 400


def test_every_secret_of_a_rotation_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    old, new = store.secret("shopify"), "new-shopify-secret-" + "n" * 32
    set_secrets(
        runtime.engine,
        runtime.vault,
        store_id=store.id,
        provider="shopify",
        secrets=[new, old],
    )
    with app.app_context():
        app_state().directory.forget()
    assert send(client, store, "orders/create", shop_order(), secret=new).status_code == 200
    assert send(client, store, "orders/create", shop_order(), secret=old).status_code == 200
    assert send(client, store, "orders/create", shop_order(), secret="retired").status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": 1, "name": "\xff"}', "body is not valid UTF-8"),
        (b'{"id": 1, ', "body is not valid JSON"),
        (b"[1, 2]", "JSON body must be an object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "JSON nested deeper than 64 levels"),
    ],
)
def test_unreadable_bodies_get_a_short_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, body: bytes, message: str
) -> None:
    response = send(client, store, "orders/create", body)
    assert (response.status_code, response.json) == (400, {"error": message})
    assert events(runtime) == []


def test_delivery_without_topic_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(shop_order())
    headers = hand_signed(store, body, event_id="evt-5")
    response = post_raw(client, store, body, headers)
    assert (response.status_code, response.json) == (
        400,
        {"error": "missing X-Shopify-Topic header"},
    )
    assert events(runtime) == []


def test_event_and_webhook_ids_are_not_needed_and_do_not_make_a_resend_new(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(shop_order())
    without_ids = hand_signed(store, body, topic="orders/create")
    assert post_raw(client, store, body, without_ids).json == {"status": "recorded"}
    with_ids = hand_signed(store, body, topic="orders/create", event_id="e", webhook_id="w")
    assert post_raw(client, store, body, with_ids).json == {"status": "duplicate"}
    assert len(events(runtime)) == 1


def test_unsubscribed_topic_is_recorded_and_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    assert send(client, store, "products/update", {"id": 632910392}).status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]


def test_test_order_is_ignored_on_a_live_store(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid", test=True))
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]
    assert order(runtime, store.id, ORDER) is None


# --- what each topic does to the order -------------------------------------------------


def test_new_order_is_recorded_with_its_details(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/create", shop_order(number=1042))
    work_queue(runtime)
    created = the_order(runtime, store)
    assert (created.number, created.email, created.currency, created.total_amount) == (
        "#1042",
        "bob.norman@mail.example.com",
        "USD",
        9000,
    )
    assert created.state == "awaiting_payment"
    assert timeline(runtime, created.id) == ["created"]
    with Session(runtime.engine) as session:
        [item] = session.exec(select(OrderLineItem).where(OrderLineItem.order_id == created.id))
    assert (item.name, item.quantity, item.sku, item.unit_amount) == ("Hoodie", 2, "HOOD-M", 4000)


def test_paid_order_is_marked_paid(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/create", shop_order())
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    work_queue(runtime)
    paid = the_order(runtime, store)
    assert (paid.state, paid.paid_amount) == ("paid", 9000)
    assert timeline(runtime, paid.id) == ["created", "paid"]


def test_zero_decimal_currency_is_not_scaled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    items = [samples.line_item("Tenugui", "1990", 1)]
    send(
        client,
        store,
        "orders/paid",
        shop_order(currency="JPY", items=items, shipping="500", financial_status="paid"),
    )
    work_queue(runtime)
    paid = the_order(runtime, store)
    assert (paid.currency, paid.total_amount, paid.paid_amount, paid.state) == (
        "JPY",
        2490,
        2490,
        "paid",
    )


def test_amount_finer_than_the_currency_allows_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shop_order()
    body["total_price"] = "90.005"
    send(client, store, "orders/create", body)
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable"]
    assert "total_price" in (events(runtime)[0].last_error or "")
    assert order(runtime, store.id, ORDER) is None


def test_updated_order_applies_payment_and_fulfillment(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    snapshot = shop_order(
        financial_status="paid",
        fulfillment_status="fulfilled",
        fulfillments=[parcel(shipment_status="in_transit")],
    )
    send(client, store, "orders/updated", snapshot)
    work_queue(runtime)
    shipped = the_order(runtime, store)
    assert (shipped.state, shipped.payment_status, shipped.paid_amount) == ("shipped", "paid", 9000)
    assert timeline(runtime, shipped.id) == ["created", "paid", "shipped"]
    [shipment] = shipments(runtime, shipped.id)
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "UPS",
        "1Z2345",
        "in_transit",
    )


def test_fulfilled_order_is_shipped_with_its_tracking(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(
        client,
        store,
        "orders/fulfilled",
        shop_order(
            financial_status="paid", fulfillment_status="fulfilled", fulfillments=[parcel()]
        ),
    )
    work_queue(runtime)
    shipped = the_order(runtime, store)
    assert shipped.state == "shipped"
    [shipment] = shipments(runtime, shipped.id)
    assert shipment.external_id == "shopify:fulfillment:255858046"
    assert shipment.tracking_url is not None and "1Z2345" in shipment.tracking_url


def test_order_that_shipped_in_part_is_partially_shipped(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(
        client,
        store,
        "orders/updated",
        shop_order(
            financial_status="paid",
            fulfillment_status="partial",
            fulfillments=[parcel(items=hoodies(1))],
        ),
    )
    work_queue(runtime)
    assert the_order(runtime, store).state == "partially_shipped"


def test_cancelled_order_is_canceled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/create", shop_order())
    send(client, store, "orders/cancelled", shop_order(cancelled_at="2025-04-01T10:00:00-04:00"))
    work_queue(runtime)
    canceled = the_order(runtime, store)
    assert (canceled.state, canceled.canceled) == ("canceled", True)
    assert timeline(runtime, canceled.id) == ["created", "canceled"]


def test_late_payment_does_not_revive_a_cancelled_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    cancelled = "2025-04-01T10:00:00-04:00"
    send(
        client,
        store,
        "orders/cancelled",
        shop_order(cancelled_at=cancelled, updated_at=cancelled),
    )
    work_queue(runtime)
    # The orders/paid snapshot from before the cancel, delivered late.
    late = shop_order(financial_status="paid", updated_at="2025-04-01T09:58:00-04:00")
    send(client, store, "orders/paid", late)
    work_queue(runtime)
    canceled = the_order(runtime, store)
    assert canceled.state == "canceled"
    assert canceled.needs_attention == "payment received for a canceled order"


def test_fulfillment_with_tracking_marks_order_shipped(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(
        client,
        store,
        "fulfillments/create",
        parcel(tracking_company="USPS", tracking_numbers=["9400111899223"]),
    )
    work_queue(runtime)
    shipped = the_order(runtime, store)
    assert shipped.state == "shipped"
    assert timeline(runtime, shipped.id) == ["created", "paid", "shipped"]
    [shipment] = shipments(runtime, shipped.id)
    assert (shipment.carrier, shipment.tracking_number, shipment.status) == (
        "USPS",
        "9400111899223",
        "in_transit",
    )


def test_fulfillment_of_some_items_marks_order_partially_shipped(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/create", parcel(items=hoodies(1)))
    work_queue(runtime)
    assert the_order(runtime, store).state == "partially_shipped"


def test_each_tracking_number_of_a_fulfillment_is_its_own_parcel(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/create", parcel(tracking_numbers=["1ZA", "1ZB"]))
    work_queue(runtime)
    parcels = shipments(runtime, the_order(runtime, store).id)
    assert [(s.external_id, s.tracking_number) for s in parcels] == [
        ("shopify:fulfillment:255858046", "1ZA"),
        ("shopify:fulfillment:255858046:2", "1ZB"),
    ]


def test_carrier_updates_move_the_order_to_delivered(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/create", parcel(shipment_status="label_printed"))
    send(client, store, "fulfillments/update", parcel(shipment_status="out_for_delivery"))
    send(client, store, "fulfillments/update", parcel(shipment_status="delivered"))
    work_queue(runtime)
    delivered = the_order(runtime, store)
    assert delivered.state == "delivered"
    assert timeline(runtime, delivered.id) == [
        "created",
        "paid",
        "shipped",
        "out_for_delivery",
        "delivered",
    ]
    [shipment] = shipments(runtime, delivered.id)
    assert shipment.status == "delivered"


def test_stale_carrier_update_does_not_move_a_parcel_back(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/update", parcel(shipment_status="delivered"))
    send(client, store, "fulfillments/update", parcel(shipment_status="in_transit"))
    work_queue(runtime)
    delivered = the_order(runtime, store)
    assert delivered.state == "delivered"
    assert [s.status for s in shipments(runtime, delivered.id)] == ["delivered"]


@pytest.mark.parametrize("reported", ["failure", "attempted_delivery"])
def test_delivery_problem_flags_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, reported: str
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/update", parcel(shipment_status=reported))
    work_queue(runtime)
    flagged = the_order(runtime, store)
    assert flagged.needs_attention == "delivery problem: exception"
    assert "needs_attention" in timeline(runtime, flagged.id)


@pytest.mark.parametrize("status", ["pending", "open", "failure", "error"])
def test_fulfillment_that_has_not_shipped_changes_nothing(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, status: str
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "fulfillments/create", parcel(status=status))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "ignored"]
    assert the_order(runtime, store).state == "paid"


def test_partial_then_full_refund(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "refunds/create", samples.refund(ORDER, amount="30.00", refund_id=1))
    work_queue(runtime)
    partly = the_order(runtime, store)
    assert (partly.state, partly.refunded_amount) == ("partially_refunded", 3000)
    send(client, store, "refunds/create", samples.refund(ORDER, amount="60.00", refund_id=2))
    work_queue(runtime)
    refunded = the_order(runtime, store)
    assert (refunded.state, refunded.refunded_amount) == ("refunded", 9000)
    assert timeline(runtime, refunded.id) == ["created", "paid", "partially_refunded", "refunded"]


def test_refund_counts_only_successful_refund_transactions(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    refund = samples.refund(ORDER, amount="30.00", refund_id=3)
    failed = {**refund["transactions"][0], "status": "failure", "amount": "50.00"}
    refund["transactions"].append(failed)
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "refunds/create", refund)
    work_queue(runtime)
    assert the_order(runtime, store).refunded_amount == 3000


def test_refund_that_moved_no_money_is_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    restock_only = {**samples.refund(ORDER, amount="0.00"), "transactions": [], "restock": True}
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    send(client, store, "refunds/create", restock_only)
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "ignored"]
    assert the_order(runtime, store).state == "paid"


def test_refund_seen_in_an_order_update_and_a_refund_event_counts_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    refund = samples.refund(ORDER, amount="30.00", refund_id=4)
    send(
        client,
        store,
        "orders/updated",
        shop_order(financial_status="partially_refunded", refunds=[refund]),
    )
    send(client, store, "refunds/create", refund)
    work_queue(runtime)
    partly = the_order(runtime, store)
    assert (partly.state, partly.paid_amount, partly.refunded_amount) == (
        "partially_refunded",
        9000,
        3000,
    )
    with Session(runtime.engine) as session:
        assert len(session.exec(select(Refund)).all()) == 1


def test_refunded_order_without_refund_details_is_fully_refunded(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/updated", shop_order(financial_status="refunded"))
    work_queue(runtime)
    refunded = the_order(runtime, store)
    assert (refunded.state, refunded.refunded_amount) == ("refunded", 9000)


# --- delivery guarantees ---------------------------------------------------------------


def test_duplicate_delivery_is_processed_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    refund = samples.refund(ORDER, amount="30.00", refund_id=5)
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    first = send(client, store, "refunds/create", refund, event_id="evt-refund")
    again = send(client, store, "refunds/create", refund, event_id="evt-refund")
    assert (first.json, again.json) == ({"status": "recorded"}, {"status": "duplicate"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]
    assert the_order(runtime, store).refunded_amount == 3000


def test_same_event_id_under_another_topic_is_another_event(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/create", shop_order(), event_id="evt-shared")
    response = send(
        client, store, "orders/paid", shop_order(financial_status="paid"), event_id="evt-shared"
    )
    assert response.json == {"status": "recorded"}
    work_queue(runtime)
    assert the_order(runtime, store).state == "paid"


@pytest.mark.parametrize(
    ("topic", "payload"),
    [
        ("fulfillments/create", parcel),
        ("refunds/create", lambda: samples.refund(ORDER, amount="90.00")),
    ],
)
def test_event_for_an_unknown_order_waits_for_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str, payload: Any
) -> None:
    send(client, store, topic, payload())
    work_queue(runtime)
    assert event_statuses(runtime) == ["parked"]
    send(client, store, "orders/paid", shop_order(financial_status="paid"))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]
    assert the_order(runtime, store).state in ("shipped", "refunded")


def test_stripe_payment_finds_the_shopify_order_by_its_id(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "orders/create", shop_order())
    intent = stripe_samples.payment_intent(ORDER, amount=9000)
    deliver(
        client,
        store,
        "stripe",
        stripe_samples.event("payment_intent.succeeded", intent, livemode=True),
    )
    work_queue(runtime)
    assert the_order(runtime, store).state == "paid"


@pytest.mark.parametrize("topic", sorted(PROVIDER.event_types))
def test_simulated_sample_is_signed_and_processed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str
) -> None:
    """What `shopsync simulate shopify <topic>` sends works, recorded as the topic it names."""
    simulated = "sim-4f2a1c"  # simulate's default order ids are not numbers
    assert PROVIDER.prelude is not None
    steps = [*PROVIDER.prelude(topic, simulated, False), ("shopify", topic)]
    if steps[0] != ("shopify", "orders/create"):
        steps.insert(0, ("shopify", "orders/create"))
    for _provider, step in steps:
        sample = samples.sample(step, simulated)
        assert deliver(client, store, "shopify", sample, event_type=step).status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"] * len(steps)
    # A body alone cannot tell orders/updated from orders/paid: the signer is told.
    assert events(runtime)[-1].event_type == topic
    assert order(runtime, store.id, simulated) is not None
