"""The customers pages: search, and one customer's consents, provider ids, orders,
subscriptions, access now with the rule that gave it, and the emails sent to them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from shopsync.models import Customer
from shopsync.runtime import Runtime
from tests.billing import Billing, ago
from tests.pages import add_admin, csrf_token, place_order, post_form, sign_in, text_of
from tests.support import StoreFixture, make_store

SCRIPT_NAME = "<script>alert(1)</script>"


@pytest.fixture
def extra_environ() -> dict[str, str]:
    # Emails are written only where they can be sent; nothing listens here, they wait.
    return {"SMTP_URL": "smtp://127.0.0.1:9"}


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime) -> FlaskClient:
    add_admin(runtime)
    sign_in(client)
    return client


def customer_id(rt: Runtime, store: StoreFixture, email: str) -> int:
    with Session(rt.engine) as session:
        found = session.exec(
            select(Customer).where(Customer.store_id == store.id, Customer.email == email)
        ).one()
    assert found.id is not None
    return found.id


def test_customers_are_found_by_email_or_name(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(owner, runtime, store, "1001")
    place_order(
        owner, runtime, store, "1002", email="grace@example.com", customer_name="Grace Hopper"
    )
    everyone = text_of(owner.get("/admin/customers"))
    assert "ada.lovelace@example.com" in everyone and "grace@example.com" in everyone
    found = text_of(owner.get("/admin/customers?q=HOPPER"))
    assert "grace@example.com" in found and "ada.lovelace" not in found
    assert "No customer matches." in text_of(owner.get("/admin/customers?q=%25"))


def test_a_customers_page_says_their_access_and_the_rule_that_gave_it(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    billing = Billing(owner, store, runtime)
    billing.start(ago(days=2))
    billing.send(billing.invoice("invoice.payment_failed", ago(hours=6), invoice_id="in_renewal"))
    page = text_of(owner.get(f"/admin/customers/{customer_id(runtime, store, billing.email)}"))
    assert "Access now: yes" in page
    assert f"{billing.subscription} gives access and speaks for the customer" in page
    # The snapshot says active; the newer failed invoice makes it past_due, in its grace.
    assert "past_due (its newest invoice, failed, is newer than the active snapshot)" in page
    assert "access during the grace period (3 days after the first failed payment)" in page
    assert billing.customer in page  # the Stripe customer id
    # The emails sent to them: subscription emails go to their address, not an order.
    assert "Your Test shop subscription has started" in page
    assert "Payment for your Test shop subscription did not go through" in page

    billing.send(billing.snapshot("deleted", ago(hours=1), status="canceled"))
    page = text_of(owner.get(f"/admin/customers/{customer_id(runtime, store, billing.email)}"))
    assert "Access now: no" in page and "canceled: no access" in page


def test_a_customers_page_shows_consents_orders_and_emails_and_turns_order_emails_off(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(owner, runtime, store, "1003", accepts_marketing=True)
    page_url = f"/admin/customers/{customer_id(runtime, store, 'ada.lovelace@example.com')}"
    page = text_of(owner.get(page_url))
    assert "given, as standard said at" in page
    assert "Order #1003 confirmed" in page  # the confirmation email, and the order
    assert post_form(owner, page_url + "/order-emails/off").status_code == 303
    assert "off (the store turned them off)" in text_of(owner.get(page_url))


def test_customer_names_that_are_attacks_are_shown_as_text(
    owner: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(owner, runtime, store, "1004", customer_name=SCRIPT_NAME)
    listing = text_of(owner.get("/admin/customers"))
    page = text_of(
        owner.get(f"/admin/customers/{customer_id(runtime, store, 'ada.lovelace@example.com')}")
    )
    for html in (listing, page):
        assert SCRIPT_NAME not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_another_stores_customer_is_simply_not_found(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    other = make_store(runtime, name="Shop B")
    place_order(client, runtime, other, "B-1")
    theirs = customer_id(runtime, other, "ada.lovelace@example.com")
    add_admin(runtime, "a@example.com", stores=[store.id])
    sign_in(client, "a@example.com")
    assert client.get(f"/admin/customers/{theirs}").status_code == 404
    token = csrf_token(client, "/admin/")
    off = client.post(f"/admin/customers/{theirs}/order-emails/off", data={"csrf_token": token})
    assert off.status_code == 404
    assert "ada.lovelace" not in text_of(client.get("/admin/customers"))
    with Session(runtime.engine) as session:
        customer = session.get(Customer, theirs)
        assert customer is not None and customer.transactional_email
