"""What each Stripe event does to an order, read back through the store's API."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from handlers.stripe import samples
from shopsync.runtime import Runtime
from tests.support import StoreFixture, deliver, event_statuses, events, json_body, work_queue

INTENT = "pi_3OrderLink"
CHARGE = "ch_3OrderLink"
NOW = int(time.time())


def send(
    client: FlaskClient,
    store: StoreFixture,
    event_type: str,
    obj: dict[str, Any],
    *,
    created: int | None = None,
) -> None:
    event = samples.event(event_type, obj, livemode=True, created=created)
    response = deliver(client, store, "stripe", event)
    assert response.status_code == 200


def api_order(client: FlaskClient, store: StoreFixture, order_id: str) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {store.api_key}"}
    )
    assert response.status_code == 200, response.json
    return json_body(response)


def checkout(order_id: str, amount: int = 5000, **kwargs: Any) -> dict[str, Any]:
    return samples.checkout_session(order_id, amount=amount, intent_id=INTENT, **kwargs)


def milestones(document: dict[str, Any]) -> list[str]:
    return [entry["milestone"] for entry in document["timeline"]]


def test_checkout_for_an_unannounced_order_creates_and_pays_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-1", email="Ana@Example.com"))
    work_queue(runtime)
    document = api_order(client, store, "S-1")
    assert document["state"] == "paid"
    assert (document["total_amount"], document["currency"]) == (5000, "USD")
    assert document["email"] == "Ana@Example.com"
    assert document["payment"]["paid_amount"] == 5000
    assert milestones(document) == ["created", "paid"]
    assert all(entry["webhook_event_id"] == events(runtime)[0].id for entry in document["timeline"])


def test_unpaid_checkout_waits_for_the_async_payment(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-2", payment_status="unpaid"))
    work_queue(runtime)
    assert api_order(client, store, "S-2")["state"] == "awaiting_payment"
    send(client, store, "checkout.session.async_payment_succeeded", checkout("S-2"))
    work_queue(runtime)
    assert api_order(client, store, "S-2")["state"] == "paid"


def test_failed_async_payment_marks_payment_failed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-3", payment_status="unpaid"))
    send(
        client,
        store,
        "checkout.session.async_payment_failed",
        checkout("S-3", payment_status="unpaid"),
    )
    work_queue(runtime)
    assert api_order(client, store, "S-3")["state"] == "payment_failed"


def test_payment_for_an_unknown_order_is_parked_until_the_order_arrives(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(
        client,
        store,
        "payment_intent.succeeded",
        samples.payment_intent("S-4", amount=5000, intent_id=INTENT),
    )
    work_queue(runtime)
    assert event_statuses(runtime) == ["parked"]
    assert events(runtime)[0].waiting_for == "order:S-4"
    send(client, store, "checkout.session.completed", checkout("S-4", payment_status="unpaid"))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "processed"]
    assert api_order(client, store, "S-4")["state"] == "paid"


def test_a_payment_short_of_the_total_shows_as_partially_paid_with_what_arrived(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-5", payment_status="unpaid"))
    send(
        client,
        store,
        "payment_intent.succeeded",
        samples.payment_intent("S-5", amount=4999, intent_id=INTENT),
    )
    work_queue(runtime)
    document = api_order(client, store, "S-5")
    assert document["state"] == "partially_paid"
    assert (document["payment"]["paid_amount"], document["total_amount"]) == (4999, 5000)
    assert document["needs_attention"] is None
    assert milestones(document) == ["created", "partially_paid"]


def test_currency_mismatch_flags_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-6", payment_status="unpaid"))
    send(
        client,
        store,
        "payment_intent.succeeded",
        samples.payment_intent("S-6", amount=5000, currency="eur", intent_id=INTENT),
    )
    work_queue(runtime)
    document = api_order(client, store, "S-6")
    assert document["payment"]["status"] == "awaiting_payment"
    assert document["needs_attention"] == "payment of 5000 EUR does not match order total 5000 USD"
    assert "needs_attention" in milestones(document)


def test_partial_then_full_refund(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-7"))
    send(
        client,
        store,
        "charge.refunded",
        samples.charge(charge_id=CHARGE, amount=5000, amount_refunded=1200, intent_id=INTENT),
    )
    work_queue(runtime)
    partial = api_order(client, store, "S-7")
    assert (partial["state"], partial["payment"]["refunded_amount"]) == ("partially_refunded", 1200)
    send(
        client,
        store,
        "charge.refunded",
        samples.charge(charge_id=CHARGE, amount=5000, amount_refunded=5000, intent_id=INTENT),
    )
    work_queue(runtime)
    full = api_order(client, store, "S-7")
    assert (full["state"], full["payment"]["refunded_amount"]) == ("refunded", 5000)
    assert milestones(full) == ["created", "paid", "partially_refunded", "refunded"]


def test_late_partial_refund_never_undoes_a_full_refund(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-8"))
    send(
        client,
        store,
        "charge.refunded",
        samples.charge(charge_id=CHARGE, amount=5000, amount_refunded=5000, intent_id=INTENT),
        created=NOW,
    )
    # The earlier partial refund's event, delivered late: older by Stripe's clock.
    send(
        client,
        store,
        "charge.refunded",
        samples.charge(charge_id=CHARGE, amount=5000, amount_refunded=1200, intent_id=INTENT),
        created=NOW - 60,
    )
    work_queue(runtime)
    document = api_order(client, store, "S-8")
    assert (document["state"], document["payment"]["refunded_amount"]) == ("refunded", 5000)


def test_refund_before_the_payment_link_is_known_waits_for_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(
        client,
        store,
        "charge.refunded",
        samples.charge(charge_id=CHARGE, amount=5000, amount_refunded=5000, intent_id=INTENT),
    )
    work_queue(runtime)
    assert events(runtime)[0].waiting_for == f"payment:{INTENT}"
    send(client, store, "checkout.session.completed", checkout("S-9"))
    work_queue(runtime)
    assert api_order(client, store, "S-9")["state"] == "refunded"


@pytest.mark.parametrize(("status", "outcome"), [("won", "won"), ("lost", "lost")])
def test_dispute_opened_then_closed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, status: str, outcome: str
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-10"))
    send(client, store, "charge.dispute.created", samples.dispute(amount=5000, intent_id=INTENT))
    work_queue(runtime)
    opened = api_order(client, store, "S-10")["payment"]
    assert (opened["disputed"], opened["dispute_status"]) == (True, "open")
    send(
        client,
        store,
        "charge.dispute.closed",
        samples.dispute(amount=5000, intent_id=INTENT, status=status),
    )
    work_queue(runtime)
    document = api_order(client, store, "S-10")
    assert document["payment"]["dispute_status"] == outcome
    assert milestones(document)[-2:] == ["disputed", f"dispute_{outcome}"]


def test_dispute_closed_before_it_was_opened_stays_closed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-11"))
    send(
        client,
        store,
        "charge.dispute.closed",
        samples.dispute(amount=5000, intent_id=INTENT, status="won"),
    )
    send(client, store, "charge.dispute.created", samples.dispute(amount=5000, intent_id=INTENT))
    work_queue(runtime)
    assert api_order(client, store, "S-11")["payment"]["dispute_status"] == "won"


def test_failed_payment_after_success_does_not_unpay(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-12"))
    send(
        client,
        store,
        "payment_intent.payment_failed",
        samples.payment_intent(
            "S-12", amount=5000, status="requires_payment_method", intent_id=INTENT
        ),
    )
    work_queue(runtime)
    assert api_order(client, store, "S-12")["state"] == "paid"


def test_test_mode_event_on_a_live_store_is_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    deliver(
        client,
        store,
        "stripe",
        samples.event("checkout.session.completed", checkout("S-13"), livemode=False),
    )
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]
    assert events(runtime)[0].last_error == "test-mode event on a live store"


def test_payment_not_linked_to_an_order_is_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    intent = samples.payment_intent("x", amount=100)
    intent["metadata"] = {}
    send(client, store, "payment_intent.succeeded", intent)
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]


def test_unknown_event_type_is_ignored(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "customer.created", {"id": "cus_1", "object": "customer"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["ignored"]


def test_missing_fields_make_the_event_unprocessable_without_writes(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    session = checkout("S-14")
    del session["amount_total"]
    send(client, store, "checkout.session.completed", session)
    work_queue(runtime)
    assert event_statuses(runtime) == ["unprocessable"]
    assert events(runtime)[0].last_error == "missing amount (amount_total)"
    response = client.get(
        "/api/v1/orders/S-14", headers={"Authorization": f"Bearer {store.api_key}"}
    )
    assert response.status_code == 404


def test_api_needs_the_stores_own_key(
    client: FlaskClient, store: StoreFixture, test_mode_store: StoreFixture, runtime: Runtime
) -> None:
    send(client, store, "checkout.session.completed", checkout("S-15"))
    work_queue(runtime)
    assert client.get("/api/v1/orders/S-15").status_code == 401
    wrong = client.get("/api/v1/orders/S-15", headers={"Authorization": "Bearer ssk_nope"})
    assert wrong.status_code == 401
    other = client.get(
        "/api/v1/orders/S-15", headers={"Authorization": f"Bearer {test_mode_store.api_key}"}
    )
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("store_account", "event_account", "status"),
    [
        (None, "acct_1Other", "ignored"),
        ("acct_1Mine", "acct_1Other", "ignored"),
        ("acct_1Mine", "acct_1Mine", "processed"),
        ("acct_1Mine", None, "processed"),
    ],
)
def test_connect_events_for_other_accounts_are_ignored(
    client: FlaskClient,
    runtime: Runtime,
    store_account: str | None,
    event_account: str | None,
    status: str,
) -> None:
    from shopsync.pipeline.registry import registry
    from shopsync.stores.provisioning import create_store
    from tests.support import StoreFixture as Fixture

    shop = Fixture(
        create_store(
            runtime.engine,
            runtime.vault,
            registry,
            name="Connected",
            public_url=runtime.settings.public_url,
            stripe_account_id=store_account,
        )
    )
    event = samples.event("checkout.session.completed", checkout("S-20"), livemode=True)
    if event_account:
        event["account"] = event_account
    deliver(client, shop, "stripe", event)
    work_queue(runtime)
    assert event_statuses(runtime) == [status]
