"""What a purchase tells the store's Mailchimp: through the outbox, consent kept, once each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from handlers.shopify import samples as shopify
from handlers.standard import samples as standard
from shopsync import privacy
from shopsync.admin.orders import order_detail
from shopsync.cli import cli
from shopsync.clock import utcnow
from shopsync.db import transaction
from shopsync.mailchimp import accounts
from shopsync.mailchimp.accounts import MailchimpAccount
from shopsync.mailchimp.adapter import subscriber_hash
from shopsync.models import MailchimpConnection, OutboxMessage
from shopsync.pipeline import jobs
from shopsync.runtime import Runtime
from shopsync.work import Cause, unit_of_work
from tests.billing import Billing, ago
from tests.email_support import send_standard
from tests.mailchimp_standin import API_KEY, AUDIENCE_ID, MailchimpStandIn, running_mailchimp
from tests.mailchimp_standin_commerce import OUTBOUND_ROUTES, events, stores
from tests.support import StoreFixture, deliver, order, work_queue

ADA = "ada.lovelace@example.com"
MEMBER_PATH = f"/lists/{AUDIENCE_ID}/members/{subscriber_hash(ADA)}"


@pytest.fixture
def mailchimp() -> Iterator[MailchimpStandIn]:
    with running_mailchimp() as standin:
        standin.add_routes(OUTBOUND_ROUTES)
        yield standin


@pytest.fixture
def extra_environ(mailchimp: MailchimpStandIn) -> dict[str, str]:
    # Retries after milliseconds: the schedule's shape, fast.
    return {
        "MAILCHIMP_API_BASE": mailchimp.base,
        "SHOPSYNC_OUTBOX_RETRY_SCALE": "0.0001",
        "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2",
    }


def connect(rt: Runtime, store: StoreFixture, *, double_opt_in: bool = False) -> None:
    account = MailchimpAccount(
        store_id=store.id,
        api_key=API_KEY,
        server="us21",
        audience_id=AUDIENCE_ID,
        double_opt_in=double_opt_in,
    )
    with transaction(rt.engine) as session:
        accounts.save(session, rt.vault, account)


def buy(client: FlaskClient, store: StoreFixture, order_id: str = "M-1", **extra: Any) -> None:
    send_standard(client, store, "order.created", standard.order(order_id, **extra))


def calls(standin: MailchimpStandIn, method: str, path: str) -> list[Any]:
    return [body for m, p, body in standin.requests_made() if m == method and p.endswith(path)]


def messages(rt: Runtime) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.kind == "mailchimp")
    with Session(rt.engine) as session:
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def retry_due(rt: Runtime) -> None:
    """What the relay does once a retry's time has come (milliseconds here)."""
    time.sleep(0.05)
    jobs.relay()
    work_queue(rt)


def test_an_opted_in_purchase_joins_the_audience_and_reaches_the_ecommerce_store(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)

    [member] = calls(mailchimp, "PUT", MEMBER_PATH)
    assert member["status_if_new"] == "subscribed"
    assert "status" not in member
    assert member["merge_fields"] == {"FNAME": "Ada", "LNAME": "Lovelace"}
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "subscribed"

    [shop] = stores(mailchimp).values()
    assert shop["list_id"] == AUDIENCE_ID and shop["currency_code"] == "EUR"
    [customer] = shop["customers"].values()
    assert customer["email_address"] == ADA and customer["opt_in_status"] is False
    assert sorted(shop["products"]) == ["BP-02", "WDO-01"]
    placed = shop["orders"]["M-1"]
    assert (placed["financial_status"], placed["order_total"]) == ("paid", 53.5)
    assert [line["price"] for line in placed["lines"]] == [39.0, 9.5]
    [(_, event)] = events(mailchimp)
    assert event["name"] == "order_paid"
    assert event["properties"]["order_id"] == "M-1"
    assert {m.status for m in messages(runtime)} == {"sent"}
    with Session(runtime.engine) as session:
        row = session.exec(select(MailchimpConnection)).one()
    assert row.ecommerce_store_id == shop["id"]


def test_a_shopify_buyer_who_accepts_marketing_joins_and_their_order_is_synced(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    items = [shopify.line_item("Hoodie", "40.00", 2, "HOOD-M", item_id=466157049)]
    body = shopify.order(450789469, financial_status="paid", items=items)
    body["buyer_accepts_marketing"] = True
    headers = {"X-Shopify-Topic": "orders/paid"}
    assert deliver(client, store, "shopify", body, headers=headers).status_code == 200
    work_queue(runtime)

    bob = subscriber_hash(shopify.DEFAULT_EMAIL)
    [member] = calls(mailchimp, "PUT", f"/lists/{AUDIENCE_ID}/members/{bob}")
    assert (member["status_if_new"], member["merge_fields"]) == (
        "subscribed",
        {"FNAME": "Bob", "LNAME": "Norman"},
    )
    [shop] = stores(mailchimp).values()
    placed = shop["orders"]["450789469"]
    assert (placed["currency_code"], placed["order_total"]) == ("USD", 90.0)
    assert [(line["product_id"], line["quantity"], line["price"]) for line in placed["lines"]] == [
        ("HOOD-M", 2, 80.0)
    ]


def test_double_opt_in_adds_new_members_as_pending(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store, double_opt_in=True)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)

    [member] = calls(mailchimp, "PUT", MEMBER_PATH)
    assert member["status_if_new"] == "pending"
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "pending"


def test_a_customer_who_did_not_opt_in_is_never_subscribed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=False)
    work_queue(runtime)

    assert calls(mailchimp, "PUT", MEMBER_PATH) == []
    assert calls(mailchimp, "PATCH", MEMBER_PATH) == []
    assert events(mailchimp) == []
    # The order still counts for the store's revenue; the contact is transactional only.
    [shop] = stores(mailchimp).values()
    assert "M-1" in shop["orders"]
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "transactional"


def test_an_unsubscribed_member_is_not_subscribed_again_by_a_purchase(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    mailchimp.set_member(ADA, "unsubscribed")
    connect(runtime, store)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)

    [member] = calls(mailchimp, "PUT", MEMBER_PATH)
    assert "status" not in member
    assert calls(mailchimp, "PATCH", MEMBER_PATH) == []
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "unsubscribed"


def test_a_transactional_contact_who_opts_in_later_is_subscribed(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, "M-1", accepts_marketing=False)
    work_queue(runtime)
    later = datetime.now(UTC) + timedelta(seconds=2)  # consent follows the newer statement
    order_2 = standard.order("M-2", accepts_marketing=True)
    send_standard(client, store, "order.created", order_2, timestamp=later)
    work_queue(runtime)

    [patch] = calls(mailchimp, "PATCH", MEMBER_PATH)
    assert patch == {"status": "subscribed"}
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "subscribed"


def test_a_paid_order_is_synced_once_however_often_its_webhook_comes(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mailchimp: MailchimpStandIn,
    environ: dict[str, str],
) -> None:
    connect(runtime, store)
    paid = standard.event("order.created", standard.order("M-1", accepts_marketing=True))
    for _ in range(2):  # the same delivery twice
        assert deliver(client, store, "standard", paid, message_id="msg_1").status_code == 200
    buy(client, store, accepts_marketing=True)  # the same order, another delivery
    send_standard(client, store, "order.updated", standard.order("M-1", accepts_marketing=True))
    work_queue(runtime)
    replayed = CliRunner(env=environ).invoke(cli, ["events", "replay", "--status", "processed"])
    assert replayed.exit_code == 0, replayed.output
    work_queue(runtime)
    jobs.relay()
    work_queue(runtime)

    assert len(calls(mailchimp, "POST", "/orders")) == 1
    assert len(calls(mailchimp, "PUT", MEMBER_PATH)) == 1
    assert len(calls(mailchimp, "POST", "/ecommerce/stores")) == 1
    assert [e["name"] for _, e in events(mailchimp)] == ["order_paid"]


def test_sending_an_order_again_changes_nothing_in_mailchimp(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)
    # The window a worker dying after "sent" and before recording it leaves: sent again.
    with transaction(runtime.engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.kind) == "mailchimp")
            .values(status="retry", next_attempt_at=utcnow() - timedelta(minutes=1))
        )
    retry_due(runtime)

    assert {m.status for m in messages(runtime)} == {"sent"}
    order_message = next(m for m in messages(runtime) if m.idempotency_key == "mailchimp:order:1")
    assert order_message.last_result == "order M-1 was in Mailchimp already"
    [shop] = stores(mailchimp).values()
    assert list(shop["orders"]) == ["M-1"]
    assert mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]["status"] == "subscribed"


def test_a_refund_and_a_cancel_update_the_order_in_mailchimp(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)
    send_standard(client, store, "order.canceled", {"id": "M-1", "payment_status": "refunded"})
    work_queue(runtime)

    updates = calls(mailchimp, "PATCH", "/orders/M-1")
    assert [u["financial_status"] for u in updates] == ["refunded", "cancelled"]
    assert "cancelled_at_foreign" in updates[1]
    [shop] = stores(mailchimp).values()
    assert shop["orders"]["M-1"]["financial_status"] == "cancelled"


def test_shipping_moments_are_member_events(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=True)
    send_standard(client, store, "shipment.created", standard.shipment("M-1", status="in_transit"))
    send_standard(client, store, "shipment.delivered", standard.shipment("M-1", status="delivered"))
    work_queue(runtime)

    assert [e["name"] for _, e in events(mailchimp)] == [
        "order_paid",
        "order_shipped",
        "order_delivered",
    ]


def test_a_subscribers_plan_is_a_tag_on_the_member_and_follows_plan_changes(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    billing = Billing(client, store, runtime, email=ADA)
    buy(client, store, accepts_marketing=True)  # Ada opts in at checkout
    work_queue(runtime)
    billing.start(ago(days=2))
    billing.send(billing.snapshot("updated", ago(days=1), lookup_key="team_monthly"))

    tagged = [body["tags"] for body in calls(mailchimp, "POST", MEMBER_PATH + "/tags")]
    assert tagged == [
        [{"name": "plan:pro_monthly", "status": "active"}],
        [
            {"name": "plan:pro_monthly", "status": "inactive"},
            {"name": "plan:team_monthly", "status": "active"},
        ],
    ]
    member = mailchimp.members[(AUDIENCE_ID, subscriber_hash(ADA))]
    assert [t["name"] for t in member["tags"]] == ["plan:team_monthly"]


def test_a_429_is_retried_after_a_backoff_and_then_sent(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    mailchimp.throttle(1)
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)
    first = messages(runtime)[0]
    assert (first.status, first.last_result) == (
        "retry",
        "Mailchimp lists.set_list_member: 429, Too Many Requests",
    )
    assert first.next_attempt_at is not None

    retry_due(runtime)
    first = messages(runtime)[0]
    assert (first.status, first.attempts) == ("sent", 2)
    assert len(calls(mailchimp, "PUT", MEMBER_PATH)) == 2


def test_mailchimp_down_is_retried_until_it_answers(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    mailchimp.down = "503"
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)
    assert {m.status for m in messages(runtime)} == {"retry"}
    mailchimp.down = "drop"
    retry_due(runtime)
    assert {m.status for m in messages(runtime)} == {"retry"}

    mailchimp.down = None
    retry_due(runtime)
    retry_due(runtime)
    assert {m.status for m in messages(runtime)} == {"sent"}
    assert len(calls(mailchimp, "POST", "/orders")) == 1


def test_a_refusal_that_cannot_succeed_fails_and_shows_on_the_order(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    buy(client, store, accepts_marketing=True, currency="XYZ")
    work_queue(runtime)

    failed = [m for m in messages(runtime) if m.status == "failed"]
    [row] = failed
    assert row.last_result == "Mailchimp ecommerce.add_store: 400, Invalid Resource"
    placed = order(runtime, store.id, "M-1")
    assert placed is not None and placed.id is not None
    shown = order_detail(runtime.engine, store_id=store.id, order_id=placed.id)
    assert shown is not None
    assert [(m.status, m.last_result) for m in shown.messages if m.status == "failed"] == [
        ("failed", "Mailchimp ecommerce.add_store: 400, Invalid Resource")
    ]
    retry_due(runtime)
    assert len(calls(mailchimp, "POST", "/ecommerce/stores")) == 1

    # A refund of an order Mailchimp never got has nothing to update: skipped, not retried.
    send_standard(client, store, "order.canceled", {"id": "M-1", "payment_status": "refunded"})
    work_queue(runtime)
    updates = [m for m in messages(runtime) if m.idempotency_key.endswith(("refunded", "canceled"))]
    assert {(m.status, m.last_result) for m in updates} == {
        ("skipped", "the paid order never reached Mailchimp")
    }


def test_calls_not_sent_yet_about_an_erased_customer_are_never_sent(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    connect(runtime, store)
    mailchimp.down = "503"
    buy(client, store, accepts_marketing=True)
    work_queue(runtime)
    mailchimp.calls.clear()
    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as work:
        privacy.redact_customer(work, email=ADA, order_ids=["M-1"])

    mailchimp.down = None
    retry_due(runtime)
    assert mailchimp.calls == []
    for message in messages(runtime):
        assert (message.status, message.payload) == ("skipped", "{}")
        assert ADA not in message.target


def test_a_store_without_mailchimp_makes_no_calls_and_writes_nothing(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mailchimp: MailchimpStandIn
) -> None:
    buy(client, store, accepts_marketing=True)
    send_standard(client, store, "order.canceled", {"id": "M-1", "payment_status": "refunded"})
    work_queue(runtime)

    assert order(runtime, store.id, "M-1") is not None
    assert messages(runtime) == []
    assert mailchimp.calls == []
