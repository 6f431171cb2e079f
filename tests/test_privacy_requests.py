"""Shopify's mandatory privacy topics: erase a customer, erase a shop, record a data request."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.shopify import samples
from shopsync.models import Customer, Order, WebhookEvent
from shopsync.pipeline.registry import registry
from shopsync.runtime import Runtime
from shopsync.stores.accounts import set_account_ref
from shopsync.web.state import app_state
from tests.support import StoreFixture, deliver, events, make_store, timeline, work_queue

BOB = "bob.norman@mail.example.com"
ALICE = "alice@mail.example.com"


def send(client: FlaskClient, store: StoreFixture, topic: str, body: dict[str, Any]) -> Any:
    return deliver(client, store, "shopify", body, headers={"X-Shopify-Topic": topic})


def place(client: FlaskClient, store: StoreFixture, order_id: str, email: str) -> None:
    snapshot = samples.order(order_id, financial_status="paid", email=email)
    snapshot["customer"].update(first_name=email.split("@", maxsplit=1)[0], last_name="Example")
    assert send(client, store, "orders/paid", snapshot).status_code == 200


def orders_by_id(rt: Runtime, store_id: int) -> dict[str, Order]:
    with Session(rt.engine) as session:
        found = session.exec(select(Order).where(Order.store_id == store_id))
        return {order.external_id: order for order in found}


def customers(rt: Runtime, store_id: int) -> list[tuple[str | None, str]]:
    with Session(rt.engine) as session:
        found = session.exec(
            select(Customer).where(Customer.store_id == store_id).order_by(col(Customer.id))
        )
        return [(customer.name, customer.email) for customer in found]


def payload_of(event: WebhookEvent) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(event.payload)
    return value


def test_customer_redaction_erases_that_customer_only(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    place(client, store, "450789469", BOB)
    place(client, store, "450789470", BOB)
    place(client, store, "1450789469", ALICE)  # its id contains the first one's
    work_queue(runtime)
    response = send(
        client, store, "customers/redact", samples.customer_redaction(["450789469"], email=BOB)
    )
    assert response.status_code == 200
    work_queue(runtime)
    assert [event.status for event in events(runtime)] == ["processed"] * 4
    kept = orders_by_id(runtime, store.id)
    assert {key: order.email for key, order in kept.items()} == {
        "450789469": None,
        "450789470": None,  # placed with the same email, though not listed
        "1450789469": ALICE,
    }
    [bob, alice] = customers(runtime, store.id)
    assert bob[0] is None and bob[1].endswith("@redacted.invalid") and BOB not in bob[1]
    assert alice == ("alice Example", ALICE)
    redacted = {event.id: event.redacted_at is not None for event in events(runtime)}
    assert list(redacted.values()) == [True, True, False, False]
    assert [payload_of(e) for e in events(runtime)[:2]] == [{}, {}]
    assert payload_of(events(runtime)[2])["email"] == ALICE
    # The rows stay, with their ids, types and outcomes.
    assert [e.event_type for e in events(runtime)] == ["orders/paid"] * 3 + ["customers/redact"]
    first = kept["450789469"]
    assert first.state == "paid" and timeline(runtime, first.id) == [
        "created",
        "paid",
    ]


def test_shop_redaction_erases_the_whole_store_and_nothing_else(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    other = make_store(runtime, name="Another shop")
    place(client, store, "1001", BOB)
    place(client, store, "1002", ALICE)
    place(client, other, "1001", BOB)
    # A fulfillment for an order never seen: parked, waiting for its order.
    send(client, store, "fulfillments/create", samples.fulfillment("9999", fulfillment_id=5))
    work_queue(runtime)
    assert send(client, store, "shop/redact", samples.shop_redaction()).status_code == 200
    work_queue(runtime)
    assert all(order.email is None for order in orders_by_id(runtime, store.id).values())
    assert all(
        name is None and "redacted.invalid" in email for name, email in customers(runtime, store.id)
    )
    assert orders_by_id(runtime, other.id)["1001"].email == BOB
    mine = [event for event in events(runtime) if event.store_id == store.id]
    assert [(e.event_type, e.status, e.payload) for e in mine] == [
        ("orders/paid", "processed", "{}"),
        ("orders/paid", "processed", "{}"),
        ("fulfillments/create", "ignored", "{}"),  # not worked now: nothing brings data back
        ("shop/redact", "processed", mine[-1].payload),  # names only the shop
    ]
    assert mine[2].last_error == "payload redacted on request before it was worked"
    [theirs] = [event for event in events(runtime) if event.store_id == other.id]
    assert theirs.redacted_at is None and payload_of(theirs)["email"] == BOB


def test_data_request_is_recorded_noted_on_the_orders_and_logged_without_personal_data(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    place(client, store, "1001", BOB)
    work_queue(runtime)
    caplog.set_level(logging.WARNING)
    request = samples.data_request(["1001", "4040"], email=BOB)
    assert send(client, store, "customers/data_request", request).status_code == 200
    work_queue(runtime)
    [_placed, asked] = events(runtime)
    assert (asked.event_type, asked.status) == ("customers/data_request", "processed")
    order = orders_by_id(runtime, store.id)["1001"]
    assert timeline(runtime, order.id) == ["created", "paid", "data_requested"]
    assert order.email == BOB  # a request to see data erases nothing
    [line] = [
        r.getMessage() for r in caplog.records if "asked Shopify for their data" in r.getMessage()
    ]
    assert f"inbox event {asked.id}" in line and "1 of 2 orders" in line
    assert BOB not in caplog.text and "555-625-1199" not in caplog.text


def test_a_customer_redaction_body_resent_as_shop_redact_erases_nothing(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    place(client, store, "1001", BOB)
    send(client, store, "shop/redact", samples.customer_redaction(["4040"], email=ALICE))
    work_queue(runtime)
    assert [event.status for event in events(runtime)] == ["processed", "unprocessable"]
    assert orders_by_id(runtime, store.id)["1001"].email == BOB
    assert events(runtime)[0].redacted_at is None


def test_a_pinned_endpoint_refuses_another_shops_privacy_request(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, app: Flask
) -> None:
    set_account_ref(
        runtime.engine, registry, store_id=store.id, provider="shopify", value=samples.SHOP_DOMAIN
    )
    with app.app_context():
        app_state().directory.forget()
    place(client, store, "1001", BOB)
    # Signed, and the header names the right shop: the signed body names another.
    foreign = {**samples.shop_redaction(), "shop_domain": "other-shop.myshopify.com"}
    response = send(client, store, "shop/redact", foreign)
    assert (response.status_code, response.json) == (
        400,
        {"error": "delivery is not for the shop this endpoint is set up for"},
    )
    assert send(client, store, "shop/redact", samples.shop_redaction()).status_code == 200
