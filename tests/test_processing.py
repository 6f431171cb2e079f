"""Events are processed by real RQ workers exactly once, whatever happens around them."""

from __future__ import annotations

from flask.testing import FlaskClient

from handlers.stripe import samples
from shopsync.runtime import Runtime
from tests.support import StoreFixture, deliver, event_statuses, order, timeline, work_queue


def checkout(order_id: str, amount: int = 4200) -> dict[str, object]:
    return samples.event(
        "checkout.session.completed",
        samples.checkout_session(order_id, amount=amount),
        livemode=True,
    )


def test_signed_event_is_processed_by_a_worker(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    assert deliver(client, store, "stripe", checkout("A-1")).status_code == 200
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
    paid = order(runtime, store.id, "A-1")
    assert paid is not None and paid.state == "paid" and paid.paid_amount == 4200
    assert timeline(runtime, paid.id) == ["created", "paid"]


def test_duplicate_delivery_is_recorded_and_processed_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    event = checkout("A-2")
    first = deliver(client, store, "stripe", event)
    second = deliver(client, store, "stripe", event)
    assert (first.json, second.json) == ({"status": "recorded"}, {"status": "duplicate"})
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed"]
