"""Absurd numbers and dates, signed or not, get a clear answer: never a 500.

Unix times are refused (400) when they are not plain whole seconds in datetime's range;
a body's ISO 8601 date that cannot be a date leaves the event dated by its receipt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from handlers.easypost import samples as easypost_samples
from handlers.shopify import samples as shopify_samples
from handlers.standard import samples as standard_samples
from handlers.stripe import samples as stripe_samples
from handlers.woocommerce import samples as woo_samples
from shopsync.runtime import Runtime
from tests.support import StoreFixture, deliver, events, json_body, work_queue

ABSURD_DATES = [
    "99999-01-01T00:00:00Z",
    "2025-01-01T00:00:00+99:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+23:59",
    "2025-13-45T25:61:61",
    "1" * 5000,
]


def stripe_post(client: FlaskClient, store: StoreFixture, body: bytes, stamp: str) -> Any:
    """A Stripe delivery signed by hand for any `t=`, as Stripe's scheme defines it."""
    key = store.secret("stripe").encode()
    mac = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}
    return client.post(store.path("stripe"), data=body, headers=headers)


def stripe_event(created: Any) -> bytes:
    intent = stripe_samples.payment_intent("1001", amount=1000)
    body = stripe_samples.event("payment_intent.succeeded", intent)
    body["created"] = "@CREATED@"
    return json.dumps(body).replace('"@CREATED@"', created).encode()


def assert_received_now(rt: Runtime) -> None:
    [event] = events(rt)
    delay = datetime.now(UTC) - event.occurred_at.replace(tzinfo=UTC)
    assert timedelta(0) <= delay < timedelta(minutes=1)


# --- Stripe ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["9" * 400, "1" + "0" * 20, "9" * 5000, "1e9", "-1", "1\u00b2\u00b3"]
)
def test_an_absurd_signed_stripe_timestamp_is_a_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, stamp: str
) -> None:
    response = stripe_post(client, store, stripe_event(str(int(time.time()))), stamp)
    assert response.status_code == 400
    assert "timestamp" in json_body(response)["error"]
    assert events(runtime) == []


@pytest.mark.parametrize(
    "created", ["1e20", "100000000000000000000", "-5", "0", "true", "1.5e9", "NaN", "Infinity"]
)
def test_an_absurd_signed_created_is_a_400(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, created: str
) -> None:
    response = stripe_post(client, store, stripe_event(created), str(int(time.time())))
    assert response.status_code == 400
    assert json_body(response)["error"] in (
        "created is not a unix time in whole seconds",
        "body is not valid JSON",
    )
    assert events(runtime) == []


def test_a_plain_created_still_dates_the_event(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    response = stripe_post(client, store, stripe_event("1700000000"), str(int(time.time())))
    assert response.status_code == 200
    assert events(runtime)[0].occurred_at.replace(tzinfo=UTC) == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )


# --- ISO 8601 dates in bodies -------------------------------------------------------------


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_shopify_order_with_an_absurd_date_is_dated_by_its_receipt(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, date: str
) -> None:
    body = shopify_samples.order("450789469", financial_status="paid")
    body.update(updated_at=date, processed_at=date, created_at=date, cancelled_at=date)
    response = deliver(client, store, "shopify", body, headers={"X-Shopify-Topic": "orders/paid"})
    assert response.status_code == 200
    assert_received_now(runtime)
    work_queue(runtime)
    assert events(runtime)[0].status == "processed"


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_woocommerce_order_with_an_absurd_date_is_dated_by_its_receipt(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, date: str
) -> None:
    body = woo_samples.order("727", status="processing")
    body["date_modified_gmt"] = date
    response = deliver(
        client, store, "woocommerce", body, headers={"X-WC-Webhook-Topic": "order.updated"}
    )
    assert response.status_code == 200
    assert_received_now(runtime)


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_easypost_event_with_absurd_dates_is_dated_by_its_receipt(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, date: str
) -> None:
    tracker = easypost_samples.tracker("EZ4000000004", status="in_transit")
    tracker["est_delivery_date"] = date
    body = easypost_samples.event(tracker)
    body["created_at"] = date
    assert deliver(client, store, "easypost", body).status_code == 200
    assert_received_now(runtime)
    work_queue(runtime)
    assert events(runtime)[0].status == "parked"  # waiting for its shipment, not failed


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_standard_webhooks_event_with_an_absurd_timestamp_is_dated_by_its_header(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, date: str
) -> None:
    body = standard_samples.event("order.created", standard_samples.order("A-1"))
    body["timestamp"] = date
    assert deliver(client, store, "standard", body).status_code == 200
    assert_received_now(runtime)


def test_a_400_digit_number_in_a_body_is_not_a_crash(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    body = shopify_samples.order("450789469", financial_status="paid")
    raw = json.dumps(body).replace(
        '"total_price": "' + body["total_price"] + '"', '"total_price": ' + "9" * 400
    )
    mac = hmac.new(store.secret("shopify").encode(), raw.encode(), hashlib.sha256).digest()
    headers = {
        "X-Shopify-Hmac-Sha256": base64.b64encode(mac).decode(),
        "X-Shopify-Topic": "orders/paid",
    }
    assert client.post(store.path("shopify"), data=raw, headers=headers).status_code == 200
    work_queue(runtime)
    [event] = events(runtime)
    assert (event.status, event.last_error) == ("unprocessable", "total_price: amount too large")
