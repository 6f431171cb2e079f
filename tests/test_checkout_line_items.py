"""With a Stripe key connected, a Checkout order gets its line items from Stripe after the
order is made: never in the webhook's request, once however often it is asked, retried
when Stripe fails, and never over the items a store's own snapshot lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.standard import samples as standard
from handlers.stripe import samples
from shopsync.clock import utcnow
from shopsync.connections import line_items
from shopsync.connections.jobs import enqueue_fetch, relay_due, services
from shopsync.connections.stripe import connect, handled_events
from shopsync.models import LineItemFetch, OrderLineItem
from shopsync.runtime import Runtime
from tests.stripe_standin import StripeStandIn
from tests.support import StoreFixture, deliver, order, work_queue

ITEMS = [
    {
        "id": "li_1",
        "object": "item",
        "amount_subtotal": 4000,
        "amount_total": 4000,
        "currency": "usd",
        "description": "Walnut desk organiser",
        "price": {"id": "price_1", "object": "price", "unit_amount": 2000, "nickname": None},
        "quantity": 2,
    },
    {
        "id": "li_2",
        "object": "item",
        "amount_subtotal": 1350,
        "amount_total": 1350,
        "currency": "usd",
        "description": "Gift wrap",
        "price": {"id": "price_2", "object": "price", "unit_amount": None},
        "quantity": 1,
    },
]


@pytest.fixture
def extra_environ(stripe_api: StripeStandIn) -> dict[str, str]:
    return {"STRIPE_API_BASE": stripe_api.base, "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def connected(
    runtime: Runtime, stripe_api: StripeStandIn, test_mode_store: StoreFixture
) -> StoreFixture:
    connect(
        services(),
        store_id=test_mode_store.id,
        api_key=stripe_api.api_key,
        public_url=runtime.settings.public_url,
        events=handled_events(),
    )
    return test_mode_store


def checkout_event(stripe_api: StripeStandIn, order_id: str) -> dict[str, Any]:
    session = samples.checkout_session(order_id, amount=5350)
    stripe_api.line_items[session["id"]] = ITEMS
    return samples.event("checkout.session.completed", session, livemode=False)


def send(client: FlaskClient, store: StoreFixture, event: dict[str, Any], secret: str) -> None:
    assert deliver(client, store, "stripe", event, secret=secret).status_code == 200


def items_of(
    rt: Runtime, store: StoreFixture, external_id: str
) -> list[tuple[str, int, int | None]]:
    found = order(rt, store.id, external_id)
    assert found is not None
    with Session(rt.engine) as session:
        rows = session.exec(
            select(OrderLineItem)
            .where(OrderLineItem.order_id == found.id)
            .order_by(col(OrderLineItem.id))
        )
        return [(row.name, row.quantity, row.unit_amount) for row in rows]


def listings(stripe_api: StripeStandIn) -> list[str]:
    return [c.path for c in stripe_api.calls if c.path.endswith("/line_items")]


def stripe_secret(stripe_api: StripeStandIn) -> str:
    secret: str = next(iter(stripe_api.endpoints.values()))["secret"]
    return secret


def test_a_checkout_order_gets_its_items_read_from_stripe_after_it_is_made(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, connected: StoreFixture
) -> None:
    event = checkout_event(stripe_api, "C-1")
    send(client, connected, event, stripe_secret(stripe_api))
    assert listings(stripe_api) == []  # the request only stored the event
    work_queue(runtime)
    assert items_of(runtime, connected, "C-1") == [
        ("Walnut desk organiser", 2, 2000),
        ("Gift wrap", 1, 1350),
    ]
    session_id = event["data"]["object"]["id"]
    assert listings(stripe_api) == [f"/v1/checkout/sessions/{session_id}/line_items"]

    # A redelivery, a replay, the relay: nothing more is read, nothing doubles.
    send(
        client,
        connected,
        samples.event("checkout.session.async_payment_succeeded", event["data"]["object"]),
        stripe_secret(stripe_api),
    )
    work_queue(runtime)
    relay_due()
    assert len(items_of(runtime, connected, "C-1")) == 2
    assert len(listings(stripe_api)) == 1


def test_a_stripe_failure_is_retried_later_and_fills_the_items_once(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, connected: StoreFixture
) -> None:
    stripe_api.line_items_failures = 2  # the SDK's own retry meets the second one
    send(client, connected, checkout_event(stripe_api, "C-2"), stripe_secret(stripe_api))
    work_queue(runtime)
    assert items_of(runtime, connected, "C-2") == []
    with Session(runtime.engine) as session:
        [waiting] = session.exec(select(LineItemFetch)).all()
    assert waiting.attempts == 1 and "did not answer" in (waiting.last_error or "")
    assert relay_due() == 0  # not due yet

    with Session(runtime.engine) as session, session.begin():
        row = session.get(LineItemFetch, waiting.order_id)
        assert row is not None
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
    relay_due()
    assert len(items_of(runtime, connected, "C-2")) == 2
    with Session(runtime.engine) as session:
        assert session.exec(select(LineItemFetch)).all() == []


def test_the_job_and_the_relay_never_both_fill_one_order(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, connected: StoreFixture
) -> None:
    line_items.configure(None)  # no job: the row waits for whoever claims it first
    try:
        send(client, connected, checkout_event(stripe_api, "C-3"), stripe_secret(stripe_api))
        work_queue(runtime)
    finally:
        line_items.configure(enqueue_fetch)
    found = order(runtime, connected.id, "C-3")
    assert found is not None and found.id is not None
    claimed = line_items._claim(runtime.engine, found.id)
    assert claimed is not None
    assert line_items.fetch(runtime.engine, services(), order_id=found.id) is False
    assert line_items._claim(runtime.engine, found.id) is None  # taken by the first
    assert items_of(runtime, connected, "C-3") == []
    assert listings(stripe_api) == []


def test_a_store_snapshot_with_items_is_never_overwritten(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, connected: StoreFixture
) -> None:
    items = [{"name": "Oak shelf", "sku": "OAK-1", "quantity": 1, "unit_amount": 5350}]
    placed = standard.event("order.created", standard.order("C-4", line_items=items))
    assert deliver(client, connected, "standard", placed).status_code == 200
    work_queue(runtime)
    send(client, connected, checkout_event(stripe_api, "C-4"), stripe_secret(stripe_api))
    work_queue(runtime)
    assert items_of(runtime, connected, "C-4") == [("Oak shelf", 1, 5350)]
    assert listings(stripe_api) == []


def test_without_a_key_of_the_events_mode_nothing_is_asked(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, connected: StoreFixture
) -> None:
    session = samples.checkout_session("C-5", amount=5350)
    stripe_api.line_items[session["id"]] = ITEMS
    live_event = samples.event("checkout.session.completed", session, livemode=True)
    send(client, connected, live_event, stripe_secret(stripe_api))
    work_queue(runtime)
    assert order(runtime, connected.id, "C-5") is not None
    assert items_of(runtime, connected, "C-5") == []
    assert listings(stripe_api) == []
