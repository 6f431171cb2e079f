"""WooCommerce webhooks: the ping is answered, deliveries are verified, statuses move orders."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from handlers.woocommerce import PROVIDER, samples
from shopsync.models import OrderLineItem
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

ORDER = "727"
MONDAY = datetime(2025, 3, 24, 9, 0, tzinfo=UTC)


def woo_order(status: str = "processing", *, minutes: int = 0, **kwargs: Any) -> dict[str, Any]:
    """Two singles at 3.00, one idea at 20.00, 10.00 shipping: 36.00."""
    return samples.order(
        ORDER, status=status, modified=MONDAY + timedelta(minutes=minutes), **kwargs
    )


def send(
    client: FlaskClient,
    store: StoreFixture,
    topic: str,
    payload: dict[str, Any] | bytes,
    **kwargs: Any,
) -> TestResponse:
    headers = {"X-WC-Webhook-Topic": topic, **kwargs.pop("headers", {})}
    return deliver(client, store, "woocommerce", payload, headers=headers, **kwargs)


def post_raw(
    client: FlaskClient, store: StoreFixture, body: bytes, headers: dict[str, str]
) -> TestResponse:
    return client.post(store.path("woocommerce"), data=body, headers=headers)


def hand_signed(store: StoreFixture, body: bytes, **headers: str) -> dict[str, str]:
    """WooCommerce's documented scheme, written out independently of the provider module."""
    mac = hmac.new(store.secret("woocommerce").encode(), body, hashlib.sha256).digest()
    return {"X-WC-Webhook-Signature": base64.b64encode(mac).decode(), **headers}


def the_order(rt: Runtime, store: StoreFixture) -> Any:
    found = order(rt, store.id, ORDER)
    assert found is not None
    return found


# --- verification -------------------------------------------------------------------


def test_creation_ping_gets_200_and_stores_nothing(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = client.post(
        store.path("woocommerce"),
        data=b"webhook_id=142",
        content_type="application/x-www-form-urlencoded",
    )
    assert (response.status_code, response.json) == (200, {"status": "ping"})
    assert events(runtime) == []


def test_unsigned_delivery_that_is_not_a_ping_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = post_raw(
        client, store, body_of(woo_order()), {"X-WC-Webhook-Topic": "order.updated"}
    )
    assert (response.status_code, response.json) == (
        400,
        {"error": "missing X-WC-Webhook-Signature header"},
    )
    assert events(runtime) == []


def test_signed_delivery_is_recorded_as_one_change_of_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    snapshot = woo_order("processing")
    response = send(client, store, "order.updated", snapshot)
    assert (response.status_code, response.json) == (200, {"status": "recorded"})
    [event] = events(runtime)
    digest = hashlib.sha256(body_of(snapshot)).hexdigest()[:32]
    assert (event.provider, event.event_type, event.event_id) == (
        "woocommerce",
        "order.updated",
        f"order:727:2025-03-24T09:00:00:{digest}",
    )
    assert event.occurred_at.replace(tzinfo=UTC) == MONDAY


def test_signature_computed_as_woocommerce_documents_it_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(woo_order())
    headers = hand_signed(store, body, **{"X-WC-Webhook-Topic": "order.updated"})
    assert post_raw(client, store, body, headers).status_code == 200
    assert events(runtime)[0].payload == body.decode()


@pytest.mark.parametrize("signature", ["garbage", base64.b64encode(b"\0" * 32).decode()])
def test_malformed_signature_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, signature: str
) -> None:
    headers = {"X-WC-Webhook-Signature": signature, "X-WC-Webhook-Topic": "order.updated"}
    response = post_raw(client, store, body_of(woo_order()), headers)
    assert response.status_code == 400
    assert events(runtime) == []


def test_wrong_secret_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = send(client, store, "order.updated", woo_order(), secret="not-the-shops-secret")
    assert response.status_code == 400
    assert events(runtime) == []


def test_every_secret_of_a_rotation_is_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    old = store.secret("woocommerce")
    set_secrets(
        runtime.engine,
        runtime.vault,
        store_id=store.id,
        provider="woocommerce",
        secrets=["new-woo-secret-2026", old],
    )
    with app.app_context():
        app_state().directory.forget()
    assert (
        send(
            client, store, "order.updated", woo_order("pending"), secret="new-woo-secret-2026"
        ).status_code
        == 200
    )
    assert (
        send(client, store, "order.updated", woo_order("processing"), secret=old).status_code == 200
    )
    assert send(client, store, "order.updated", woo_order(), secret="retired").status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id": 727, "status": "\xff"}', "body is not valid UTF-8"),
        (b'{"id": 727, ', "body is not valid JSON"),
        (b"[727]", "JSON body must be an object"),
        (b'{"a": ' * 100 + b"1" + b"}" * 100, "JSON nested deeper than 64 levels"),
    ],
)
def test_unreadable_bodies_get_a_short_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, body: bytes, message: str
) -> None:
    response = send(client, store, "order.updated", body)
    assert (response.status_code, response.json) == (400, {"error": message})
    assert events(runtime) == []


def test_delivery_without_topic_is_refused(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = body_of(woo_order())
    headers = hand_signed(store, body)
    response = post_raw(client, store, body, headers)
    assert (response.status_code, response.json) == (
        400,
        {"error": "missing X-WC-Webhook-Topic header"},
    )


def test_order_without_an_id_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = woo_order()
    del body["id"]
    assert send(client, store, "order.updated", body).status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable"]
    assert events(runtime)[0].last_error == "missing id"


# --- what each status does to the order ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("pending", "awaiting_payment"),
        ("on-hold", "awaiting_payment"),
        ("processing", "paid"),
        ("completed", "shipped"),
        ("cancelled", "canceled"),
        ("refunded", "refunded"),
        ("failed", "payment_failed"),
    ],
)
def test_order_status_sets_the_order_state(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, status: str, state: str
) -> None:
    send(client, store, "order.created", woo_order(status))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    assert the_order(runtime, store).state == state


def test_new_order_is_recorded_with_its_details(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.created", woo_order("pending"))
    work_queue(runtime)
    created = the_order(runtime, store)
    assert (created.number, created.email, created.currency, created.total_amount) == (
        "727",
        "john.doe@example.com",
        "USD",
        3600,
    )
    with Session(runtime.engine) as session:
        items = session.exec(select(OrderLineItem).where(OrderLineItem.order_id == created.id))
        lines = [(i.name, i.quantity, i.sku, i.unit_amount) for i in items]
    # WooCommerce escapes names for HTML (`&ndash;`); the customer sees the dash.
    assert lines == [
        ("Woo Single #1", 2, "woo-single-1", 300),
        ("Ship Your Idea \N{EN DASH} Color: Black, Size: M Test", 1, None, 2000),
    ]


def test_order_moves_from_pending_to_paid_to_shipped(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.created", woo_order("pending"))
    send(client, store, "order.updated", woo_order("processing", minutes=1))
    send(client, store, "order.updated", woo_order("completed", minutes=2))
    work_queue(runtime)
    shipped = the_order(runtime, store)
    assert (shipped.state, shipped.paid_amount) == ("shipped", 3600)
    assert timeline(runtime, shipped.id) == ["created", "paid", "shipped"]


def test_zero_decimal_currency_is_not_scaled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    items = [samples.line_item("Tenugui", "1990", 1)]
    send(client, store, "order.created", woo_order(currency="JPY", items=items, shipping="500"))
    work_queue(runtime)
    paid = the_order(runtime, store)
    assert (paid.currency, paid.total_amount, paid.paid_amount) == ("JPY", 2490, 2490)


def test_refund_listed_on_the_order_partially_refunds_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.updated", woo_order("processing"))
    send(
        client,
        store,
        "order.updated",
        woo_order("processing", minutes=1, refunds=[samples.refund("10.00", refund_id=726)]),
    )
    work_queue(runtime)
    partly = the_order(runtime, store)
    assert (partly.state, partly.refunded_amount) == ("partially_refunded", 1000)


def test_refunds_are_counted_once_across_order_updates(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    first = samples.refund("10.00", refund_id=726)
    second = samples.refund("26.00", refund_id=731)
    send(client, store, "order.updated", woo_order("processing", refunds=[first]))
    send(client, store, "order.updated", woo_order("processing", minutes=1, refunds=[first]))
    work_queue(runtime)
    assert the_order(runtime, store).refunded_amount == 1000
    send(client, store, "order.updated", woo_order("refunded", minutes=2, refunds=[second, first]))
    work_queue(runtime)
    refunded = the_order(runtime, store)
    assert (refunded.state, refunded.refunded_amount) == ("refunded", 3600)
    assert timeline(runtime, refunded.id) == ["created", "paid", "partially_refunded", "refunded"]


def test_deleted_order_is_canceled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.created", woo_order("pending"))
    send(client, store, "order.deleted", samples.deleted(ORDER))
    work_queue(runtime)
    canceled = the_order(runtime, store)
    assert canceled.state == "canceled"
    assert timeline(runtime, canceled.id) == ["created", "canceled"]


def test_late_payment_does_not_revive_a_cancelled_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.updated", woo_order("cancelled", minutes=5))
    work_queue(runtime)
    send(client, store, "order.updated", woo_order("processing", minutes=1))
    work_queue(runtime)
    canceled = the_order(runtime, store)
    assert canceled.state == "canceled"
    assert canceled.needs_attention == "payment received for a canceled order"


def test_stale_snapshot_does_not_move_the_order_back(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.updated", woo_order("completed", minutes=2))
    send(client, store, "order.updated", woo_order("processing", minutes=1))
    send(client, store, "order.created", woo_order("pending"))
    work_queue(runtime)
    assert the_order(runtime, store).state == "shipped"


# --- delivery guarantees ---------------------------------------------------------------


def test_resent_change_is_processed_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    snapshot = woo_order("processing")
    # Each send gets a new X-WC-Webhook-Delivery-ID; the change is still the same one.
    first = send(client, store, "order.updated", snapshot)
    again = send(client, store, "order.updated", snapshot)
    assert (first.json, again.json) == ({"status": "recorded"}, {"status": "duplicate"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]


def test_status_changes_within_one_second_are_separate_events(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    assert send(client, store, "order.updated", woo_order("processing")).json == {
        "status": "recorded"
    }
    assert send(client, store, "order.updated", woo_order("completed")).json == {
        "status": "recorded"
    }
    work_queue(runtime)
    assert the_order(runtime, store).state == "shipped"


def test_deletion_of_an_unknown_order_waits_for_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "order.deleted", samples.deleted(ORDER))
    work_queue(runtime)
    assert event_statuses(runtime) == ["parked"]
    send(client, store, "order.created", woo_order("pending"))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]
    assert the_order(runtime, store).state == "canceled"


@pytest.mark.parametrize("topic", sorted(PROVIDER.event_types))
def test_simulated_sample_is_signed_and_processed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str
) -> None:
    """What `shopsync simulate woocommerce <topic>` sends works, with the topic its signer names."""
    simulated = "sim-4f2a1c"  # simulate's default order ids are not numbers
    send(
        client, store, "order.created", samples.order(simulated, status="pending", modified=MONDAY)
    )
    assert (
        deliver(
            client, store, "woocommerce", samples.sample(topic, simulated), event_type=topic
        ).status_code
        == 200
    )
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]
    assert events(runtime)[1].event_type == topic
    assert order(runtime, store.id, simulated) is not None
