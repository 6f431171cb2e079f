"""A captured signed body resent with other unsigned headers changes nothing.

Shopify and WooCommerce sign the body only. Anyone holding one signed delivery can
resend it with another topic, event id, date or shop domain; each test here does what
such an attacker would, with the provider's real signature, and checks the order is
exactly as the real events left it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from handlers.shopify import samples as shopify_samples
from handlers.woocommerce import samples as woo_samples
from shopsync.cli import cli
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.support import StoreFixture, event_statuses, events, order, timeline, work_queue

ORDER = "450789469"
WOO_ORDER = "727"


def shopify_body(**kwargs: Any) -> bytes:
    items = [shopify_samples.line_item("Hoodie", "40.00", 2, "HOOD-M", item_id=466157049)]
    snapshot = shopify_samples.order(ORDER, items=items, **kwargs)
    snapshot["updated_at"] = kwargs.get("cancelled_at") or "2025-03-29T18:00:00-04:00"
    return json.dumps(snapshot).encode()


def shopify_post(
    client: FlaskClient,
    store: StoreFixture,
    body: bytes,
    topic: str,
    event_id: str,
    *,
    prefix: str = "X-Shopify-",
    **extra: str,
) -> TestResponse:
    """Signed as Shopify documents it, written out here, not with the provider's signer."""
    mac = hmac.new(store.secret("shopify").encode(), body, hashlib.sha256).digest()
    headers = {
        f"{prefix}Hmac-Sha256": base64.b64encode(mac).decode(),
        f"{prefix}Topic": topic,
        f"{prefix}Event-Id": event_id,
        f"{prefix}Shop-Domain": "example-shop.myshopify.com",
        **extra,
    }
    return client.post(store.path("shopify"), data=body, headers=headers)


def woo_post(client: FlaskClient, store: StoreFixture, body: bytes, topic: str) -> TestResponse:
    mac = hmac.new(store.secret("woocommerce").encode(), body, hashlib.sha256).digest()
    headers = {
        "X-WC-Webhook-Signature": base64.b64encode(mac).decode(),
        "X-WC-Webhook-Topic": topic,
    }
    return client.post(store.path("woocommerce"), data=body, headers=headers)


def state_of(rt: Runtime, store: StoreFixture, external_id: str = ORDER) -> tuple[Any, ...]:
    found = order(rt, store.id, external_id)
    assert found is not None
    return (
        found.state,
        found.payment_status,
        found.fulfillment_status,
        found.canceled,
        found.paid_amount,
        timeline(rt, found.id),
    )


PENDING = ("awaiting_payment", "awaiting_payment", "unfulfilled", False, 0, ["created"])


# --- Shopify: the topic only routes ------------------------------------------------------


def test_pending_order_resent_as_paid_fulfilled_and_cancelled_stays_pending(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    captured = shopify_body(financial_status="pending")
    assert shopify_post(client, store, captured, "orders/create", "evt-real").status_code == 200
    work_queue(runtime)
    forged = ["orders/paid", "orders/fulfilled", "orders/cancelled", "orders/updated"]
    for number, topic in enumerate(forged):
        response = shopify_post(client, store, captured, topic, f"evt-forged-{number}")
        assert (response.status_code, response.json) == (200, {"status": "duplicate"})
        work_queue(runtime)
    assert state_of(runtime, store) == PENDING


@pytest.mark.parametrize("topic", ["orders/paid", "orders/fulfilled", "orders/cancelled"])
def test_a_new_pending_snapshot_under_a_state_topic_does_not_move_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str
) -> None:
    """Even a snapshot not seen before only says what it says: pending, unfulfilled, open."""
    shopify_post(client, store, shopify_body(financial_status="pending"), topic, "evt-1")
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    assert state_of(runtime, store) == PENDING


@pytest.mark.parametrize(
    "topic",
    [
        "fulfillments/create",
        "fulfillments/update",
        "refunds/create",
        "customers/redact",
        "customers/data_request",
        "shop/redact",
    ],
)
def test_an_order_body_under_another_kinds_topic_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, topic: str
) -> None:
    captured = shopify_body(financial_status="paid")
    shopify_post(client, store, captured, "orders/paid", "evt-real")
    work_queue(runtime)
    before = state_of(runtime, store)
    assert shopify_post(client, store, captured, topic, "evt-forged").status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "unprocessable"]
    assert f"{topic} body is not a Shopify" in (events(runtime)[1].last_error or "")
    assert state_of(runtime, store) == before
    kept = order(runtime, store.id, ORDER)
    assert kept is not None and kept.email == "bob.norman@mail.example.com"


def test_a_fulfillment_under_an_order_topic_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    shopify_post(client, store, shopify_body(financial_status="paid"), "orders/paid", "evt-1")
    parcel = json.dumps(shopify_samples.fulfillment(ORDER, fulfillment_id=1)).encode()
    shopify_post(client, store, parcel, "orders/cancelled", "evt-2")
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "unprocessable"]
    assert state_of(runtime, store)[:4] == ("paid", "paid", "unfulfilled", False)


def test_the_same_snapshot_under_a_new_event_id_is_a_duplicate(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shopify_body(financial_status="paid")
    first = shopify_post(client, store, body, "orders/paid", "evt-1")
    again = shopify_post(client, store, body, "orders/paid", "evt-2")
    assert (first.json, again.json) == ({"status": "recorded"}, {"status": "duplicate"})


def test_the_body_names_the_event_and_its_time_not_the_headers(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shopify_body(cancelled_at="2025-04-01T10:00:00-04:00")
    shopify_post(
        client,
        store,
        body,
        "orders/cancelled",
        "evt-1",
        **{"X-Shopify-Triggered-At": "2031-01-01T00:00:00Z"},
    )
    work_queue(runtime)
    [event] = events(runtime)
    assert event.event_id.startswith(f"order:{ORDER}:2025-04-01T10:00:00-04:00:")
    assert event.occurred_at.replace(tzinfo=UTC) == datetime(2025, 4, 1, 14, 0, tzinfo=UTC)
    found = order(runtime, store.id, ORDER)
    assert found is not None and found.canceled


def test_headers_without_the_x_prefix_are_accepted(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shopify_body(financial_status="paid")
    response = shopify_post(client, store, body, "orders/paid", "evt-1", prefix="shopify-")
    assert (response.status_code, response.json) == (200, {"status": "recorded"})
    work_queue(runtime)
    assert state_of(runtime, store)[0] == "paid"


# --- Shopify: the shop an endpoint serves ------------------------------------------------


def pin_shop(environ: dict[str, str], app: Flask, store: StoreFixture, domain: str) -> Any:
    result = CliRunner(env=environ).invoke(
        cli, ["store", "set-account", str(store.id), "shopify", domain]
    )
    with app.app_context():
        app_state().directory.forget()
    return result


def test_a_delivery_for_another_shop_is_refused_once_the_endpoint_is_pinned(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask, environ: dict[str, str]
) -> None:
    result = pin_shop(environ, app, store, "Example-Shop.myshopify.com")
    assert result.exit_code == 0, result.output
    assert "example-shop.myshopify.com" in result.output
    body = shopify_body(financial_status="paid")
    other = {"X-Shopify-Shop-Domain": "other-shop.myshopify.com"}
    refused = shopify_post(client, store, body, "orders/paid", "evt-1", **other)
    assert (refused.status_code, refused.json) == (
        400,
        {"error": "delivery is not for the shop this endpoint is set up for"},
    )
    assert events(runtime) == []
    assert shopify_post(client, store, body, "orders/paid", "evt-1").status_code == 200


def test_an_unpinned_endpoint_accepts_any_shop_and_says_so_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    for number, shop in enumerate(["a.myshopify.com", "b.myshopify.com"]):
        body = shopify_body(financial_status="paid", number=1000 + number)
        response = shopify_post(
            client, store, body, "orders/paid", "evt", **{"X-Shopify-Shop-Domain": shop}
        )
        assert response.status_code == 200
    warnings = [r for r in caplog.records if "accepts deliveries for any shop" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize("value", ["not a domain", "https://x.myshopify.com/", ""])
def test_set_account_refuses_what_is_not_a_shop_domain(
    environ: dict[str, str], app: Flask, store: StoreFixture, value: str
) -> None:
    result = pin_shop(environ, app, store, value)
    assert result.exit_code == 2
    assert "example.myshopify.com" in result.output
    assert "Traceback" not in result.output


def test_set_account_is_refused_for_a_provider_that_names_no_account(
    environ: dict[str, str], store: StoreFixture
) -> None:
    result = CliRunner(env=environ).invoke(
        cli, ["store", "set-account", str(store.id), "stripe", "x"]
    )
    assert result.exit_code == 1
    assert "stripe deliveries name no account to pin" in result.output


# --- WooCommerce: only a deletion's own shape deletes -------------------------------------


def woo_body(status: str) -> bytes:
    return json.dumps(
        woo_samples.order(WOO_ORDER, status=status, modified=datetime(2025, 3, 24, tzinfo=UTC))
    ).encode()


def test_order_created_resent_as_deleted_does_not_cancel(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    captured = woo_body("pending")
    woo_post(client, store, captured, "order.created")
    work_queue(runtime)
    assert woo_post(client, store, captured, "order.updated").json == {"status": "duplicate"}
    assert woo_post(client, store, captured, "order.deleted").status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "unprocessable"]
    assert events(runtime)[1].last_error == "order.deleted body is not a deletion (only an id)"
    assert state_of(runtime, store, WOO_ORDER) == PENDING


def test_a_real_deletion_still_cancels(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    woo_post(client, store, woo_body("pending"), "order.created")
    woo_post(client, store, b'{"id":727}', "order.deleted")
    work_queue(runtime)
    assert state_of(runtime, store, WOO_ORDER)[0] == "canceled"


def test_a_deletion_body_under_an_order_topic_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    woo_post(client, store, b'{"id":727}', "order.updated")
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable"]
    assert order(runtime, store.id, WOO_ORDER) is None
