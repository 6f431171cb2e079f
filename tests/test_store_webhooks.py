"""Order webhooks to the store's own systems: signed, once per moment, retried, never misrouted."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from handlers.shopify import samples as shopify_samples
from handlers.standard import samples as standard_samples
from handlers.stripe import samples
from shopsync.app import create_app
from shopsync.cli import cli
from shopsync.clock import utcnow
from shopsync.config import Settings
from shopsync.models import OutboxMessage, StoreSubscriber
from shopsync.outbox import http
from shopsync.pipeline import jobs
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from shopsync.web.state import app_state
from tests.receivers import Answer, Receiver, running_receiver
from tests.support import StoreFixture, deliver, make_store, work_queue

ORDER = "W-1001"
SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "store-webhooks.schema.json").read_text())


@pytest.fixture
def outbound_environ(environ: dict[str, str]) -> dict[str, str]:
    # Retries after milliseconds, a receiver gets one second: the schedule's shape, fast.
    return {
        **environ,
        "SHOPSYNC_OUTBOX_RETRY_SCALE": "0.0001",
        "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "1",
    }


@pytest.fixture
def app(outbound_environ: dict[str, str]) -> Iterator[Flask]:
    application = create_app(Settings.from_env(outbound_environ))
    yield application
    with application.app_context():
        app_state().runtime.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def subscribe(rt: Runtime, store: StoreFixture, receiver: Receiver, events: str = "*") -> int:
    created = subscribers.add_subscriber(
        rt.engine,
        rt.vault,
        store_id=store.id,
        url=receiver.url,
        event_types=subscribers.parse_event_types(events),
        policy=http.TargetPolicy.ANY,
    )
    receiver.secret = created.secret
    return created.id


def pay(client: FlaskClient, store: StoreFixture, *, event_id: str | None = None) -> None:
    session = samples.checkout_session(ORDER, amount=4200, payment_status="paid")
    event = samples.event("checkout.session.completed", session, livemode=True, event_id=event_id)
    assert deliver(client, store, "stripe", event).status_code == 200


def messages(rt: Runtime) -> list[OutboxMessage]:
    with Session(rt.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def retry_due(rt: Runtime) -> None:
    """What the relay does once a retry's time has come (milliseconds here)."""
    time.sleep(0.05)
    jobs.relay()
    work_queue(rt)


def test_a_paid_order_reaches_the_store_signed_once_per_moment(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver)
    pay(client, store)
    work_queue(runtime)

    assert [d.type for d in receiver.requests] == ["order.created", "order.paid"]
    assert all(d.verified for d in receiver.requests)
    paid = receiver.requests[1].body
    assert paid["data"]["order"]["id"] == ORDER
    assert paid["data"]["order"]["payment"]["status"] == "paid"
    assert paid["data"]["order"]["total_amount"] == 4200
    created_version = receiver.requests[0].body["data"]["order"]["version"]
    assert paid["data"]["order"]["version"] >= created_version
    assert [m.status for m in messages(runtime)] == ["sent", "sent"]


def test_every_moment_of_an_order_is_announced_in_the_documented_shape(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver)
    for event_type, data in (
        ("order.created", standard_samples.order("S-7", payment_status="paid")),
        ("shipment.created", standard_samples.shipment("S-7", status="in_transit")),
        ("shipment.delivered", standard_samples.shipment("S-7", status="delivered")),
        ("order.canceled", {"id": "S-7", "payment_status": "refunded"}),
    ):
        response = deliver(client, store, "standard", standard_samples.event(event_type, data))
        assert response.status_code == 200
        work_queue(runtime)

    assert [d.type for d in receiver.requests] == [
        "order.created",
        "order.paid",
        "order.shipped",
        "order.delivered",
        "order.refunded",
        "order.canceled",
    ]
    for delivery in receiver.requests:
        jsonschema.validate(delivery.body, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert delivery.verified
    versions = [d.body["data"]["order"]["version"] for d in receiver.requests]
    assert versions == sorted(versions)
    shipped = receiver.requests[2].body["data"]["order"]
    assert shipped["shipments"][0]["tracking_number"]
    assert len(shipped["line_items"]) == 2


def test_duplicated_and_replayed_upstream_events_deliver_once(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    receiver: Receiver,
    outbound_environ: dict[str, str],
) -> None:
    subscribe(runtime, store, receiver)
    pay(client, store, event_id="evt_same")
    pay(client, store, event_id="evt_same")  # Stripe's redelivery
    pay(client, store)  # the same change, reported under another event id
    work_queue(runtime)
    result = CliRunner(env=outbound_environ).invoke(
        cli, ["events", "replay", "--status", "processed"]
    )
    assert result.exit_code == 0, result.output
    work_queue(runtime)

    assert [d.type for d in receiver.requests] == ["order.created", "order.paid"]
    assert len(messages(runtime)) == 2


def test_a_receiver_that_is_down_gets_the_message_exactly_once_when_back(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    receiver = Receiver()  # not listening yet
    subscribe(runtime, store, receiver, events="order.paid")
    pay(client, store)
    work_queue(runtime)
    [message] = messages(runtime)
    assert (message.status, message.last_result) == ("retry", "connection failed (ConnectError)")

    receiver.start()
    try:
        retry_due(runtime)
        retry_due(runtime)
    finally:
        receiver.stop()
    assert [d.type for d in receiver.delivered] == ["order.paid"]
    [message] = messages(runtime)
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_500_then_a_200_is_one_delivery_with_the_same_message_id(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver, events="order.paid")
    receiver.answer_next(Answer(status=500))
    pay(client, store)
    work_queue(runtime)
    assert messages(runtime)[0].status == "retry"

    retry_due(runtime)
    first, second = receiver.requests
    assert first.message_id == second.message_id
    assert first.headers["webhook-signature"] != "" and second.verified
    assert (messages(runtime)[0].status, messages(runtime)[0].last_result) == ("sent", "HTTP 200")


def test_a_slow_receiver_times_out_and_is_retried(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver, events="order.paid")
    receiver.answer_next(Answer(delay=2.5))
    pay(client, store)
    work_queue(runtime)
    assert (messages(runtime)[0].status, messages(runtime)[0].last_result) == (
        "retry",
        "timed out",
    )
    retry_due(runtime)
    assert messages(runtime)[0].status == "sent"


def test_redirects_are_never_followed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    with running_receiver() as elsewhere:
        subscribe(runtime, store, receiver, events="order.paid")
        receiver.answer_next(Answer(status=307, headers={"Location": elsewhere.url}))
        pay(client, store)
        work_queue(runtime)
        assert elsewhere.requests == []
    [message] = messages(runtime)
    assert (message.status, message.last_result) == (
        "retry",
        "HTTP 307 (redirects are not followed)",
    )


def test_a_receiver_can_abort_one_message(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver, events="order.paid")
    receiver.answer_next(Answer(status=422, headers={"webhook-delivery": "abort-message"}))
    pay(client, store)
    work_queue(runtime)
    retry_due(runtime)
    assert len(receiver.requests) == 1
    assert messages(runtime)[0].status == "failed"


def test_production_policy_refuses_private_destinations(runtime: Runtime) -> None:
    store = make_store(runtime, name="Strict shop")
    with pytest.raises(subscribers.InvalidSubscriber, match="https"):
        subscribers.add_subscriber(
            runtime.engine,
            runtime.vault,
            store_id=store.id,
            url="http://127.0.0.1:9/hook",
            event_types=("*",),
            policy=http.TargetPolicy.PUBLIC,
        )
    for url in ("https://127.0.0.1/x", "https://[::1]/x", "https://169.254.169.254/latest"):
        assert http.check_url(url, http.TargetPolicy.PUBLIC) is not None, url


def test_a_host_name_that_resolves_to_a_private_address_is_refused_at_connect(
    client: FlaskClient,
    store: StoreFixture,
    outbound_environ: dict[str, str],
    receiver: Receiver,
) -> None:
    host = socket.gethostname()
    resolved = {str(info[4][0]) for info in socket.getaddrinfo(host, receiver.port)}
    if not all(address.startswith(("127.", "10.", "192.168.", "::1")) for address in resolved):
        pytest.skip(f"{host} does not resolve to a private address on this machine")
    strict = create_app(
        Settings.from_env({**outbound_environ, "SHOPSYNC_WEBHOOK_TARGETS": "public"})
    )
    with strict.app_context():
        rt = app_state().runtime
        created = subscribers.add_subscriber(
            rt.engine,
            rt.vault,
            store_id=store.id,
            url=f"https://{host}:{receiver.port}/hooks",
            event_types=("order.paid",),
            policy=http.TargetPolicy.PUBLIC,
        )
        assert created.id
        pay(strict.test_client(), store)
        work_queue(rt)
        [message] = messages(rt)
        rt.close()
    assert receiver.requests == []
    assert message.status == "failed"
    assert message.last_result == "refused: the host resolves to a private address"


def test_subscribers_get_only_the_events_they_chose(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver, events="order.shipped, order.paid")
    pay(client, store)
    work_queue(runtime)
    assert [d.type for d in receiver.requests] == ["order.paid"]
    with pytest.raises(subscribers.InvalidSubscriber, match=r"order\.payed"):
        subscribers.parse_event_types("order.payed")


def test_while_a_secret_is_rolled_both_secrets_verify(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscriber_id = subscribe(runtime, store, receiver, events="order.paid")
    old = receiver.secret
    new = subscribers.roll_secret(
        runtime.engine, runtime.vault, store_id=store.id, subscriber_id=subscriber_id
    )
    pay(client, store)
    work_queue(runtime)
    [delivery] = receiver.requests
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    raw = messages(runtime)[0].payload
    for secret in (old, new):
        Webhook(secret).verify(raw, delivery.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(raw.replace("4200", "4201"), delivery.headers)


def test_a_disabled_subscriber_is_skipped_and_one_failing_for_days_is_disabled(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscriber_id = subscribe(runtime, store, receiver, events="order.paid")
    with runtime.engine.begin() as connection:
        connection.execute(
            update(StoreSubscriber)
            .where(col(StoreSubscriber.id) == subscriber_id)
            .values(failing_since=utcnow() - timedelta(days=4))
        )
    assert subscribers.record_failure(runtime.engine, subscriber_id, gave_up=False) is False
    assert subscribers.record_failure(runtime.engine, subscriber_id, gave_up=True) is True
    pay(client, store)
    work_queue(runtime)
    assert receiver.requests == []
    assert messages(runtime) == []  # nothing is written for a disabled subscriber
    with Session(runtime.engine) as session:
        disabled = session.get(StoreSubscriber, subscriber_id)
        assert disabled is not None and "every delivery failed since" in (
            disabled.disabled_reason or ""
        )


def test_outbox_commands_list_show_and_replay(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    receiver: Receiver,
    outbound_environ: dict[str, str],
) -> None:
    runner = CliRunner(env=outbound_environ)
    added = runner.invoke(
        cli, ["store", "add-subscriber", str(store.id), receiver.url, "--events", "order.paid"]
    )
    assert added.exit_code == 0, added.output
    receiver.secret = added.output.split("shown once, verify with Standard Webhooks): ")[1].strip()
    pay(client, store)
    work_queue(runtime)
    [message] = messages(runtime)

    listed = runner.invoke(cli, ["outbox", "list", "--kind", "store_webhook"])
    assert "order.paid order W-1001" in listed.output and "sent" in listed.output
    shown = runner.invoke(cli, ["outbox", "show", str(message.id)])
    assert '"type": "order.paid"' in shown.output and "HTTP 200" in shown.output
    replayed = runner.invoke(cli, ["outbox", "replay", str(message.id)])
    assert replayed.output.strip() == "queued 1 messages"
    work_queue(runtime)
    assert [d.message_id for d in receiver.delivered] == [receiver.requests[0].message_id] * 2
    assert runner.invoke(cli, ["outbox", "replay"]).exit_code == 2


def test_metrics_show_the_outbox_by_kind_and_status_and_its_oldest_message(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    receiver = Receiver()  # down: the message waits for its retry
    subscribe(runtime, store, receiver, events="order.paid")
    pay(client, store)
    work_queue(runtime)
    time.sleep(0.1)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'shopsync_outbox_messages{kind="store_webhook",status="retry"} 1' in text
    age = float(text.split("\nshopsync_outbox_oldest_waiting_seconds ")[1].split()[0])
    assert age > 0
    assert "shopsync_outbox_redeliveries 0" in text


def test_reversals_are_announced_once_each_in_the_documented_shape(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, receiver: Receiver
) -> None:
    subscribe(runtime, store, receiver)
    paid_at = int(time.time()) - 3600
    stripe_events = [
        samples.event(
            "checkout.session.completed",
            samples.checkout_session(ORDER, amount=4200, intent_id="pi_3Announced"),
            livemode=True,
            created=paid_at,
        ),
        *(
            samples.event(
                event_type,
                samples.refund_object(
                    amount=1200, intent_id="pi_3Announced", status=status, refund_id="re_3Ann"
                ),
                livemode=True,
                created=paid_at + offset,
            )
            for event_type, status, offset in (
                ("refund.created", "succeeded", 60),
                ("refund.failed", "failed", 120),
            )
        ),
    ]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    stamp = [(start + timedelta(minutes=m)).isoformat() for m in range(10)]
    parcel = shopify_samples.fulfillment("5001", fulfillment_id=77, updated_at=stamp[1])
    shopify_hooks = [
        (
            "orders/paid",
            shopify_samples.order("5001", financial_status="paid", updated_at=stamp[0]),
        ),
        ("fulfillments/create", parcel),
        ("fulfillments/update", {**parcel, "status": "cancelled", "updated_at": stamp[2]}),
        (
            "orders/cancelled",
            shopify_samples.order(
                "5001", financial_status="paid", cancelled_at=stamp[3], updated_at=stamp[3]
            ),
        ),
        (
            "orders/updated",
            shopify_samples.order("5001", financial_status="paid", updated_at=stamp[4]),
        ),
    ]
    for body in stripe_events * 2:
        assert deliver(client, store, "stripe", body).status_code == 200
    for topic, body in shopify_hooks * 2:
        headers = {"X-Shopify-Topic": topic}
        assert deliver(client, store, "shopify", body, headers=headers).status_code == 200
    work_queue(runtime)

    by_order: dict[str, list[str]] = {}
    for delivery in receiver.requests:
        jsonschema.validate(delivery.body, SCHEMA, format_checker=jsonschema.FormatChecker())
        assert delivery.verified
        by_order.setdefault(delivery.body["data"]["order"]["id"], []).append(delivery.type)
    assert by_order[ORDER] == [
        "order.created",
        "order.paid",
        "order.refunded",
        "order.refund_failed",
    ]
    assert by_order["5001"] == [
        "order.created",
        "order.paid",
        "order.shipped",
        "order.shipment_canceled",
        "order.canceled",
        "order.restored",
    ]
    failed = next(d for d in receiver.requests if d.type == "order.refund_failed").body
    assert failed["data"]["order"]["payment"] == {
        "status": "paid",
        "paid_amount": 4200,
        "refunded_amount": 0,
        "disputed": False,
        "dispute_status": None,
    }
