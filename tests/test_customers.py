"""One customer per store and address, whichever provider names them; two separate consents."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.shopify import samples as shopify
from handlers.standard import samples as standard
from handlers.stripe import samples as stripe_samples
from handlers.woocommerce import samples as woocommerce
from shopsync.models import Customer, CustomerIdentity, Order
from shopsync.runtime import Runtime
from tests.email_support import send_standard
from tests.support import StoreFixture, deliver, work_queue

NOW = datetime.now(UTC).replace(microsecond=0)
BOB_ID = 207119551


def customers(rt: Runtime) -> list[Customer]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Customer).order_by(col(Customer.id))))


def identities(rt: Runtime) -> dict[tuple[str, str], int]:
    with Session(rt.engine) as session:
        rows = session.exec(select(CustomerIdentity))
        return {(row.provider, row.external_id): row.customer_id for row in rows}


def order_customers(rt: Runtime) -> dict[str, int | None]:
    with Session(rt.engine) as session:
        return {o.external_id: o.customer_id for o in session.exec(select(Order))}


def shopify_order(
    client: FlaskClient, store: StoreFixture, order_id: int, email: str, at: datetime, **extra: Any
) -> None:
    body = shopify.order(order_id, email=email)
    # One account throughout, whatever its address; dated by the signed body.
    body["customer"]["id"] = BOB_ID
    body.update(extra, updated_at=at.isoformat(), created_at=at.isoformat())
    headers = {"X-Shopify-Topic": "orders/create"}
    response = deliver(client, store, "shopify", body, headers=headers, message_id=f"e{order_id}")
    assert response.status_code == 200


def test_a_shopify_customer_who_changes_address_is_moved_not_duplicated(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    shopify_order(client, store, 1, "bob@old.example", NOW - timedelta(hours=2))
    work_queue(runtime)
    shopify_order(client, store, 2, "Bob@New.example", NOW - timedelta(hours=1))
    work_queue(runtime)
    # A snapshot from before the change, delivered late, does not move him back.
    shopify_order(client, store, 3, "bob@old.example", NOW - timedelta(hours=3))
    work_queue(runtime)

    [bob] = customers(runtime)
    assert (bob.email, bob.name) == ("bob@new.example", "Bob Norman")
    assert identities(runtime) == {("shopify", str(BOB_ID)): bob.id}
    assert set(order_customers(runtime).values()) == {bob.id}


def test_moving_to_an_address_the_store_knows_merges_the_two_customers(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    guest = standard.order("G-1", email="bob@new.example", accepts_marketing=True)
    send_standard(client, store, "order.created", guest, timestamp=NOW - timedelta(hours=3))
    shopify_order(client, store, 1, "bob@old.example", NOW - timedelta(hours=2))
    work_queue(runtime)
    assert len(customers(runtime)) == 2

    shopify_order(client, store, 2, "bob@new.example", NOW - timedelta(hours=1))
    work_queue(runtime)
    [bob] = customers(runtime)
    assert bob.email == "bob@new.example"
    assert identities(runtime) == {("shopify", str(BOB_ID)): bob.id}
    assert order_customers(runtime) == {"G-1": bob.id, "1": bob.id, "2": bob.id}
    # Shopify's sample says nothing about marketing: the guest's own choice stands.
    assert (bob.marketing_consent, bob.marketing_consent_source) == (True, "standard")


def test_marketing_is_only_what_the_customer_gave_and_the_newest_statement_wins(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    def checkout(order_id: str, consent: str, minutes_ago: int) -> None:
        session = stripe_samples.checkout_session(order_id, amount=990)
        session.update(customer="cus_NffrFeUfNV2Hib", consent={"promotions": consent})
        created = int(time.time()) - minutes_ago * 60
        event = stripe_samples.event(
            "checkout.session.completed", session, livemode=True, created=created
        )
        assert deliver(client, store, "stripe", event).status_code == 200
        work_queue(runtime)

    send_standard(
        client, store, "order.created", standard.order("W-1", email="jenny.rosen@example.com")
    )
    work_queue(runtime)
    assert customers(runtime)[0].marketing_consent is False  # an order is not consent

    checkout("S-1", "opt_in", minutes_ago=30)
    checkout("S-2", "opt_out", minutes_ago=60)  # older: changes nothing
    [jenny] = customers(runtime)
    assert (jenny.marketing_consent, jenny.marketing_consent_source) == (True, "stripe")
    assert identities(runtime) == {("stripe", "cus_NffrFeUfNV2Hib"): jenny.id}

    checkout("S-3", "opt_out", minutes_ago=1)
    [jenny] = customers(runtime)
    assert jenny.marketing_consent is False
    assert jenny.transactional_email is True  # a separate answer, untouched


def test_shopify_buyer_accepts_marketing_is_recorded(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    shopify_order(client, store, 1, "bob@example.com", NOW, buyer_accepts_marketing=True)
    work_queue(runtime)
    [bob] = customers(runtime)
    assert (bob.marketing_consent, bob.marketing_consent_source) == (True, "shopify")


def test_woocommerce_accounts_are_linked_and_guests_are_not(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    member = woocommerce.order(727, email="john.doe@example.com")
    member["customer_id"] = 42
    guest = woocommerce.order(728, email="guest@example.com")
    for body in (member, guest):
        headers = {"X-WC-Webhook-Topic": "order.created"}
        assert deliver(client, store, "woocommerce", body, headers=headers).status_code == 200
    work_queue(runtime)
    john, visitor = customers(runtime)
    assert (john.email, john.name) == ("john.doe@example.com", "John Doe")
    assert visitor.email == "guest@example.com"
    assert identities(runtime) == {("woocommerce", "42"): john.id}


def test_a_store_customer_id_from_standard_webhooks_moves_the_address(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    first = standard.order("C-1", customer_id=77, email="ada@old.example")
    second = standard.order("C-2", customer_id="77", email="ada@new.example")
    send_standard(client, store, "order.created", first, timestamp=NOW - timedelta(minutes=5))
    send_standard(client, store, "order.created", second, timestamp=NOW)
    work_queue(runtime)
    [ada] = customers(runtime)
    assert ada.email == "ada@new.example"
    assert identities(runtime) == {("standard", "77"): ada.id}
