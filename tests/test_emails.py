"""Customers hear from the store: one email per moment that matters, never two."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from handlers.shopify import samples as shopify_samples
from handlers.standard import samples as standard
from handlers.stripe import samples as stripe_samples
from shopsync.cli import cli
from shopsync.models import Customer, CustomerIdentity, OutboxStatus
from shopsync.runtime import Runtime
from tests.email_support import emails, mail_app, mail_environ, send_standard
from tests.mail_server import MailServer, Received, running_mail_server
from tests.support import StoreFixture, deliver, order, work_queue

ADA = "ada.lovelace@example.com"


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def mail_env(environ: dict[str, str], mail: MailServer) -> dict[str, str]:
    return mail_environ(environ, mail.url())


@pytest.fixture
def app(mail_env: dict[str, str]) -> Iterator[Flask]:
    with mail_app(mail_env) as application:
        yield application


def step(client: FlaskClient, store: StoreFixture, rt: Runtime, event_type: str, data: Any) -> None:
    send_standard(client, store, event_type, data)
    work_queue(rt)


def only(mail: MailServer) -> Received:
    assert len(mail.received) == 1, [r.subject for r in mail.received]
    received = mail.received.pop()
    return received


def test_each_moment_sends_its_email_with_the_right_content(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    step(client, store, runtime, "order.created", standard.order("A-1", payment_status="paid"))
    confirmed = only(mail)
    assert confirmed.subject == "Order #A-1 confirmed"
    assert confirmed.recipients == [ADA]
    assert confirmed.message["From"].addresses[0].display_name == "Test shop"
    assert "Hi Ada Lovelace," in confirmed.text
    assert "Walnut desk organiser  €39.00" in confirmed.text and "Total: €53.50" in confirmed.text
    placed = order(runtime, store.id, "A-1")
    assert placed is not None
    token = placed.public_token
    status_page = f"http://shop.test/orders/{token}"
    assert status_page in confirmed.text and f'href="{status_page}"' in confirmed.html
    assert '<meta name="viewport"' in confirmed.html

    step(client, store, runtime, "shipment.created", standard.shipment("A-1", status="in_transit"))
    shipped = only(mail)
    tracking = standard.tracking_number_for("A-1")
    assert shipped.subject == "Your order #A-1 has shipped"
    assert "Carrier: DHL Express" in shipped.text and f"Tracking number: {tracking}" in shipped.text
    assert f'href="https://www.dhl.com/track?tracking-id={tracking}"' in shipped.html

    step(
        client,
        store,
        runtime,
        "shipment.updated",
        standard.shipment("A-1", status="out_for_delivery"),
    )
    assert only(mail).subject == "Your order #A-1 is out for delivery"
    step(client, store, runtime, "shipment.delivered", standard.shipment("A-1", status="delivered"))
    assert "has been delivered" in only(mail).text
    step(client, store, runtime, "order.updated", standard.order("A-1", payment_status="refunded"))
    refunded = only(mail)
    assert refunded.subject == "Order #A-1 refunded"
    assert "We have refunded your order in full: €53.50." in refunded.text
    step(client, store, runtime, "order.canceled", {"id": "A-1"})
    assert only(mail).subject == "Order #A-1 canceled"


def test_a_failed_payment_links_to_the_stores_retry_page(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    pay_again = "https://shop.example/checkout/order-pay/B-1/?pay_for_order=true&key=wc_order_x"
    data = standard.order("B-1", payment_status="payment_failed", payment_url=pay_again)
    step(client, store, runtime, "order.created", data)
    failed = only(mail)
    assert failed.subject == "Payment for order #B-1 did not go through"
    assert f"Try the payment again: {pay_again}" in failed.text
    assert 'href="https://shop.example/checkout/order-pay/B-1/?pay_for_order=true&amp;key=' in (
        failed.html
    )


def test_partial_shipments_and_refunds_say_so(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    step(client, store, runtime, "order.created", standard.order("C-1"))
    mail.received.clear()
    parcel = standard.shipment("C-1", status="in_transit", partial=True)
    step(client, store, runtime, "shipment.created", parcel)
    partial = only(mail)
    assert partial.subject == "Part of your order #C-1 has shipped"
    assert "We will let you know when the rest ships." in partial.text

    session = stripe_samples.checkout_session("S-1", amount=4200, intent_id="pi_s1")
    charge = stripe_samples.charge(amount=4200, amount_refunded=1250, intent_id="pi_s1")
    for event_type, obj in (("checkout.session.completed", session), ("charge.refunded", charge)):
        event = stripe_samples.event(event_type, obj, livemode=True)
        assert deliver(client, store, "stripe", event).status_code == 200
    work_queue(runtime)
    subjects = sorted(r.subject for r in mail.received)
    assert subjects == ["A refund for order #S-1", "Order #S-1 confirmed"]
    refund = next(r for r in mail.received if r.subject.startswith("A refund"))
    assert "We have refunded $12.50 of your order." in refund.text
    assert refund.recipients == ["jenny.rosen@example.com"]


def test_an_order_that_jumps_from_paid_to_delivered_gets_one_email(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    send_standard(client, store, "order.created", standard.order("J-1"))
    send_standard(client, store, "shipment.created", standard.shipment("J-1", status="in_transit"))
    send_standard(client, store, "shipment.delivered", standard.shipment("J-1", status="delivered"))
    work_queue(runtime)

    assert [r.subject for r in mail.received] == ["Your order #J-1 was delivered"]
    outcome = {
        json.loads(m.payload)["milestone"]: (m.status, m.last_result) for m in emails(runtime)
    }
    assert outcome == {
        "paid": ("skipped", "superseded by delivered"),
        "shipped": ("skipped", "superseded by delivered"),
        "delivered": ("sent", "accepted by 127.0.0.1"),
    }


# An event type and how to build its payload for an order id.
Arrival = tuple[str, Callable[[str], dict[str, Any]]]

EVENTS: list[Arrival] = [
    ("order.created", standard.order),
    ("shipment.created", lambda o: standard.shipment(o, status="in_transit")),
    ("shipment.delivered", lambda o: standard.shipment(o, status="delivered")),
    ("order.updated", lambda o: standard.order(o, payment_status="refunded")),
]


def test_duplicated_and_shuffled_events_send_each_moment_once(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    orders: dict[str, tuple[Arrival, ...]] = {}
    for number, arrival in enumerate(itertools.permutations(EVENTS)):
        order_id = f"P-{number}"
        orders[order_id] = arrival
        for event_type, data in arrival:
            body = standard.event(event_type, data(order_id))
            for _copy in range(2):  # every event delivered twice, under one webhook-id
                response = deliver(
                    client, store, "standard", body, message_id=f"msg_{order_id}_{event_type}"
                )
                assert response.status_code == 200
    work_queue(runtime)
    # The same again later, as a provider's retry under new ids: nothing new to say.
    for order_id, arrival in list(orders.items())[:4]:
        for event_type, data in arrival:
            send_standard(client, store, event_type, data(order_id))
    work_queue(runtime)

    by_order: dict[str, list[str]] = {}
    for received in mail.received:
        match = re.search(r"#(P-\d+)", received.subject)
        assert match is not None
        by_order.setdefault(match.group(1), []).append(received.subject)
    assert len(by_order) == len(orders) == 24
    for order_id, subjects in by_order.items():
        assert sorted(subjects) == [
            f"Order #{order_id} refunded",
            f"Your order #{order_id} was delivered",
        ], orders[order_id]
    assert [m.status for m in emails(runtime)].count(OutboxStatus.SENT) == len(mail.received) == 48


def test_a_customer_named_like_a_script_is_escaped_in_the_html_part(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    name = "<script>alert(1)</script>"
    data = standard.order("X-1", customer_name=name)
    data["line_items"][0]["name"] = '<img src=x onerror="alert(2)">'
    step(client, store, runtime, "order.created", data)
    received = only(mail)
    assert "<script>" not in received.html and 'onerror="' not in received.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;," in received.html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in received.html
    assert f"Hi {name}," in received.text  # plain text is not HTML: shown as written


def test_no_order_email_without_the_customers_transactional_consent(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    mail_env: dict[str, str],
) -> None:
    step(client, store, runtime, "order.created", standard.order("K-1", accepts_marketing=True))
    assert only(mail).subject == "Order #K-1 confirmed"
    result = CliRunner(env=mail_env).invoke(
        cli, ["store", "customer-emails", str(store.id), ADA.upper(), "--off"]
    )
    assert result.exit_code == 0, result.output
    assert "off" in result.output

    # Written before the change, sent after it: skipped when its turn comes.
    send_standard(client, store, "shipment.created", standard.shipment("K-1"))
    step(client, store, runtime, "order.created", standard.order("K-2"))
    assert mail.received == []
    assert [m.status for m in emails(runtime)] == ["sent"]
    with Session(runtime.engine) as session:
        customer = session.exec(select(Customer)).one()
    # Marketing is its own answer: what the customer gave, untouched by order emails.
    assert (customer.transactional_email, customer.marketing_consent) == (False, True)


def test_an_order_without_an_address_sends_nothing(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    data = standard.order("N-1")
    del data["email"]
    step(client, store, runtime, "order.created", data)
    assert mail.received == [] and emails(runtime) == []


def test_events_older_than_the_stores_limit_send_nothing(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    mail_env: dict[str, str],
) -> None:
    four_days_ago = datetime.now(UTC) - timedelta(days=4)
    send_standard(client, store, "order.created", standard.order("O-1"), timestamp=four_days_ago)
    work_queue(runtime)
    assert mail.received == [] and emails(runtime) == []

    result = CliRunner(env=mail_env).invoke(
        cli, ["store", "notifications", str(store.id), "--max-age-days", "7"]
    )
    assert result.exit_code == 0, result.output
    send_standard(client, store, "order.created", standard.order("O-2"), timestamp=four_days_ago)
    work_queue(runtime)
    assert [r.subject for r in mail.received] == ["Order #O-2 confirmed"]


def test_a_moment_the_store_turned_off_is_not_sent(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    mail_env: dict[str, str],
) -> None:
    result = CliRunner(env=mail_env).invoke(
        cli, ["store", "notifications", str(store.id), "--off", "delivered", "--off", "confirmed"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"off:\s+confirmed, delivered", result.output)
    send_standard(client, store, "order.created", standard.order("F-1"))
    send_standard(client, store, "shipment.created", standard.shipment("F-1", status="in_transit"))
    send_standard(client, store, "shipment.delivered", standard.shipment("F-1", status="delivered"))
    work_queue(runtime)
    # "delivered" was never written, so it supersedes nothing: the shipping news goes out.
    assert [r.subject for r in mail.received] == ["Your order #F-1 has shipped"]


def test_the_stores_sender_and_branding_are_used(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    mail_env: dict[str, str],
) -> None:
    runner = CliRunner(env=mail_env)
    settings = [
        ["notifications", "--from", "hello@walnut.example", "--from-name", "Walnut & Co"],
        ["notifications", "--reply-to", "help@walnut.example"],
        ["branding", "--colour", "#0A7D5A", "--logo", "https://walnut.example/logo.png"],
    ]
    for command in settings:
        result = runner.invoke(cli, ["store", command[0], str(store.id), *command[1:]])
        assert result.exit_code == 0, result.output
    step(client, store, runtime, "order.created", standard.order("B-2"))
    received = only(mail)
    [sender] = received.message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Walnut & Co", "hello@walnut.example")
    assert str(received.message["Reply-To"]) == "help@walnut.example"
    assert received.mail_from == "hello@walnut.example"
    assert received.message_id.endswith("@walnut.example>")
    assert 'src="https://walnut.example/logo.png"' in received.html
    assert "background-color:#0a7d5a" in received.html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["branding", "--logo", "javascript:alert(1)"], "http:// or https://"),
        (["branding", "--colour", "red;background:url(x)"], "hex colour"),
        (["notifications", "--off", "everything"], "unknown email moment"),
        (["notifications", "--from", "not an address"], "not an email address"),
        (["notifications", "--max-age-days", "0"], "1 to 365 days"),
    ],
)
def test_bad_store_settings_get_one_line_and_change_nothing(
    store: StoreFixture, mail_env: dict[str, str], args: list[str], message: str
) -> None:
    result = CliRunner(env=mail_env).invoke(cli, ["store", args[0], str(store.id), *args[1:]])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_erasing_a_customer_empties_their_emails_and_skips_the_unsent(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    bob = "bob.norman@mail.example.com"
    paid = shopify_samples.order("450789469", financial_status="paid", email=bob)
    shopify_send(client, store, "orders/paid", paid)
    work_queue(runtime)
    assert only(mail).subject == "Order #1001 confirmed"
    mail.refuse(bob, "451 4.7.1 Try again later")
    shopify_send(client, store, "orders/cancelled", {**paid, "cancelled_at": paid["updated_at"]})
    work_queue(runtime)
    assert [m.status for m in emails(runtime)] == ["sent", "retry"]

    redaction = shopify_samples.customer_redaction(["450789469"], email=bob)
    shopify_send(client, store, "customers/redact", redaction)
    work_queue(runtime)
    sent, unsent = emails(runtime)
    assert (sent.status, sent.target, sent.payload) == ("sent", "(erased)", "{}")
    assert (unsent.status, unsent.last_result) == ("skipped", "erased on the customer's request")
    assert bob not in sent.summary + unsent.summary
    with Session(runtime.engine) as session:
        assert session.exec(select(CustomerIdentity)).all() == []


def shopify_send(client: FlaskClient, store: StoreFixture, topic: str, body: Any) -> None:
    response = deliver(client, store, "shopify", body, headers={"X-Shopify-Topic": topic})
    assert response.status_code == 200
