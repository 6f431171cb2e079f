"""Stripe refunds that fail or are canceled, and bank debits that are processing.

Every case is a sequence of events in Stripe's published shapes, really signed,
delivered as Stripe sent them and the other way round, each twice: the order ends the
same either way, and a stale event never moves it back.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from handlers.stripe import samples
from shopsync.runtime import Runtime
from tests.support import (
    ARRIVALS,
    StoreFixture,
    arriving,
    deliver,
    event_statuses,
    json_body,
    work_queue,
)

ORDER = "1001"
INTENT = "pi_3TzExamplePI0001"
CHARGE = "ch_3TzExampleCharge01"
REFUND = "re_3TzExampleRefund01"
# Stripe's clock: the payment an hour ago, the refund 30 minutes later, its failure after.
PAID_AT = int(time.time()) - 3600
REFUNDED_AT = PAID_AT + 1800
FAILED_AT = REFUNDED_AT + 600


def event(event_type: str, obj: dict[str, Any], created: int, **extra: Any) -> dict[str, Any]:
    return samples.event(event_type, obj, livemode=True, created=created, **extra)


def paid() -> dict[str, Any]:
    session = samples.checkout_session(ORDER, amount=5000, intent_id=INTENT)
    return event("checkout.session.completed", session, PAID_AT)


def unpaid_checkout() -> dict[str, Any]:
    """Checkout with a bank debit: complete, but the money is not there yet."""
    session = samples.checkout_session(
        ORDER, amount=5000, intent_id=INTENT, payment_status="unpaid"
    )
    return event("checkout.session.completed", session, PAID_AT)


def sepa_debit() -> dict[str, Any]:
    return samples.payment_intent(
        ORDER, amount=5000, intent_id=INTENT, status="processing", method="sepa_debit"
    )


def refund(status: str, *, amount: int = 1500, refund_id: str = REFUND) -> dict[str, Any]:
    return samples.refund_object(
        amount=amount,
        intent_id=INTENT,
        status=status,
        refund_id=refund_id,
        charge_id=CHARGE,
        created=REFUNDED_AT,
    )


def refunded(amount_refunded: int, created: int = REFUNDED_AT) -> dict[str, Any]:
    charge = samples.charge(
        amount=5000, amount_refunded=amount_refunded, intent_id=INTENT, charge_id=CHARGE
    )
    return event("charge.refunded", charge, created)


FAILURES = {
    # refund.failed, and the legacy charge.refund.updated Stripe sends alongside it.
    "refund.failed": ("failed", {"status": "succeeded", "failure_reason": None}),
    "charge.refund.updated": ("failed", {"status": "succeeded", "failure_reason": None}),
    # A refund waiting for the customer's bank details, canceled.
    "refund.updated": ("canceled", {"status": "requires_action"}),
}


def deliver_all(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, events: list[dict[str, Any]]
) -> None:
    for body in events:
        assert deliver(client, store, "stripe", body).status_code == 200
    work_queue(runtime)
    assert set(event_statuses(runtime)) == {"processed"}


def api_order(client: FlaskClient, store: StoreFixture) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/orders/{ORDER}", headers={"Authorization": f"Bearer {store.api_key}"}
    )
    assert response.status_code == 200
    return json_body(response)


def milestones(document: dict[str, Any]) -> list[str]:
    return [entry["milestone"] for entry in document["timeline"]]


@pytest.mark.parametrize("arrival", ARRIVALS)
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_refund_that_fails_stops_counting(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, failure: str, arrival: str
) -> None:
    status, before = FAILURES[failure]
    journey = [
        paid(),
        event("refund.created", refund("succeeded"), REFUNDED_AT),
        refunded(1500),
        event(failure, refund(status), FAILED_AT, previous_attributes=before),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    document = api_order(client, store)
    assert (document["state"], document["payment"]["refunded_amount"]) == ("paid", 0)
    assert document["payment"]["paid_amount"] == 5000
    if arrival == "as sent":
        assert milestones(document) == ["created", "paid", "partially_refunded", "refund_failed"]


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_only_the_refunds_that_stand_count_each_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    later = FAILED_AT + 600
    second = refund("succeeded", amount=500, refund_id="re_3TzExampleRefund02")
    journey = [
        paid(),
        event("refund.created", refund("succeeded"), REFUNDED_AT),
        refunded(1500),
        event("refund.failed", refund("failed"), FAILED_AT),
        # Stripe's running total after the failure no longer counts the failed refund.
        event("refund.created", {**second, "created": later}, later),
        refunded(500, created=later),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    document = api_order(client, store)
    assert (document["state"], document["payment"]["refunded_amount"]) == (
        "partially_refunded",
        500,
    )


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_stale_succeeded_refund_never_revives_a_failed_one(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    journey = [
        paid(),
        event("refund.failed", refund("failed"), FAILED_AT),
        # refund.updated from before the failure (the card network's reference arrived).
        event("refund.updated", refund("succeeded"), REFUNDED_AT + 60),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    document = api_order(client, store)
    assert (document["state"], document["payment"]["refunded_amount"]) == ("paid", 0)


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_bank_debit_shows_processing_until_it_succeeds(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    debit = sepa_debit()
    journey = [unpaid_checkout(), event("payment_intent.processing", debit, PAID_AT + 5)]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    document = api_order(client, store)
    assert (document["state"], document["payment"]["status"]) == (
        "payment_processing",
        "payment_processing",
    )
    assert "payment_processing" in milestones(document)
    # Days later the debit clears.
    cleared = {**debit, "status": "succeeded", "amount_received": 5000}
    deliver_all(
        client, store, runtime, [event("payment_intent.succeeded", cleared, PAID_AT + 86400)]
    )
    assert api_order(client, store)["state"] == "paid"


@pytest.mark.parametrize("arrival", ARRIVALS)
def test_a_debit_after_a_declined_card_is_processing_and_a_late_decline_does_not_fail_it(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, arrival: str
) -> None:
    declined = samples.payment_intent(
        ORDER, amount=5000, intent_id=INTENT, status="requires_payment_method"
    )
    journey = [
        unpaid_checkout(),
        event("payment_intent.payment_failed", declined, PAID_AT + 10),
        event("payment_intent.processing", sepa_debit(), PAID_AT + 70),
    ]
    deliver_all(client, store, runtime, arriving(journey, arrival))
    assert api_order(client, store)["payment"]["status"] == "payment_processing"
