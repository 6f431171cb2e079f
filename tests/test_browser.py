"""The pages in Chromium against gunicorn and a worker: live updates, the admin's main
flows, and the attacks a browser is where they would land (XSS, open redirects)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from handlers.standard import samples as standard
from handlers.stripe import samples
from shopsync.models import EventStatus, WebhookEvent
from shopsync.runtime import Runtime
from tests.browser import Site, Watcher, chromium, chromium_available, running_site
from tests.mailchimp_standin import API_KEY, MailchimpStandIn
from tests.pages import OWNER, PASSWORD, add_admin, find_order
from tests.processes import http_status, wait_until
from tests.receivers import Receiver, running_receiver
from tests.stripe_standin import StripeStandIn
from tests.support import StoreFixture

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not chromium_available(), reason="needs /usr/bin/chromium"),
]
SCRIPT_NAME = "<script>alert(1)</script>"
IMAGE_NAME = '"><img src=x onerror=alert(1)>'


@pytest.fixture
def extra_environ(stripe_api: StripeStandIn, mailchimp_api: MailchimpStandIn) -> dict[str, str]:
    return {"STRIPE_API_BASE": stripe_api.base, "MAILCHIMP_API_BASE": mailchimp_api.base}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def watcher() -> Watcher:
    return Watcher()


@pytest.fixture
def page(browser: Browser, watcher: Watcher) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    opened = context.new_page()
    watcher.attach(opened)
    yield opened
    context.close()
    assert watcher.alerts == [], watcher.alerts
    assert watcher.errors == [], watcher.errors


@pytest.fixture
def site(environ: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    env = {
        **environ,
        "SHOPSYNC_RELAY_SECONDS": "1",
        "SHOPSYNC_OUTBOX_RETRY_SCALE": "0.0001",
        "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2",
    }
    with running_site(env, tmp_path) as running:
        yield running


def place(site: Site, rt: Runtime, store: StoreFixture, order_id: str, **fields: Any) -> None:
    event = standard.event("order.created", standard.order(order_id, **fields))
    assert site.post_webhook(store, "standard", event) == 200
    wait_until(lambda: find_order(rt, store.id, order_id) is not None, what="the order")


def sign_in(page: Page, site: Site, next_url: str = "") -> None:
    query = f"?next={next_url}" if next_url else ""
    page.goto(site.url(f"/admin/login{query}"))
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/admin/login" not in url)


def test_the_status_page_turns_from_paid_to_shipped_without_a_reload(
    site: Site, page: Page, runtime: Runtime, store: StoreFixture
) -> None:
    place(site, runtime, store, "1001")
    order = find_order(runtime, store.id, "1001")
    assert order is not None
    page.goto(site.url(f"/orders/{order.public_token}"))
    headline = page.locator("#headline")
    expect(headline).to_have_text("Paid")
    page.evaluate("window.stillTheSamePage = true")

    shipped = standard.event("shipment.created", standard.shipment("1001", status="in_transit"))
    sent_at = time.monotonic()
    assert site.post_webhook(store, "standard", shipped) == 200

    expect(headline).to_have_text("Shipped", timeout=20_000)
    seen_after = time.monotonic() - sent_at
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.locator("#announce")).to_have_text("Order status updated: Shipped")
    expect(page.get_by_role("link", name="Track with DHL Express")).to_be_visible()
    assert seen_after < 15  # a 5 s poll plus the worker
    # Phone width: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_status_page_works_without_javascript(
    site: Site, browser: Browser, runtime: Runtime, store: StoreFixture
) -> None:
    place(site, runtime, store, "1002")
    order = find_order(runtime, store.id, "1002")
    assert order is not None
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url(f"/orders/{order.public_token}"))
    expect(page.locator("#headline")).to_have_text("Paid")
    expect(page.get_by_text("Walnut desk organiser")).to_be_visible()
    expect(page.locator(".timeline time").first).to_contain_text("UTC")  # no script ran

    page.get_by_role("link", name="Find another order").click()
    page.get_by_label("Email address").fill("ada.lovelace@example.com")
    page.get_by_label("Order number").fill("1002")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    context.close()


def test_the_owner_signs_in_and_replays_a_dead_event(
    site: Site, page: Page, runtime: Runtime, store: StoreFixture
) -> None:
    dead_id = died_in_an_outage(runtime, store, "1003")
    add_admin(runtime)

    sign_in(page, site)
    expect(page.get_by_role("heading", name="Test shop")).to_be_visible()
    expect(page.get_by_text("1 dead event")).to_be_visible()

    page.get_by_role("link", name="1 dead event").click()
    page.get_by_role("link", name=str(dead_id), exact=True).click()
    expect(page.get_by_text("RuntimeError at handlers/standard/orders.py:34")).to_be_visible()
    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Queued 1 event for replay.")).to_be_visible()

    def processed() -> bool:
        page.reload()
        return page.locator(".badge-processed").count() > 0

    wait_until(processed, timeout=20, interval=0.5, what="the replayed event to be processed")
    page.get_by_role("link", name="#1003").click()
    expect(page.get_by_role("heading", name="Order #1003")).to_be_visible()


def died_in_an_outage(rt: Runtime, store: StoreFixture, order_id: str) -> int:
    """An inbox row as a database outage leaves it: verified, stored, every attempt failed."""
    body = standard.event("order.created", standard.order(order_id))
    with Session(rt.engine) as session, session.begin():
        row = WebhookEvent(
            store_id=store.id,
            provider="standard",
            event_id=f"msg_outage_{order_id}",
            event_type="order.created",
            occurred_at=datetime.now(UTC),
            payload=json.dumps(body),
            status=EventStatus.DEAD,
            attempts=8,
            last_error="RuntimeError at handlers/standard/orders.py:34",
            failed_handler="handlers.standard.orders.sync_order",
            failure_trace="handlers/standard/orders.py:34 in sync_order\nRuntimeError",
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def test_the_owner_sends_a_test_event_to_a_subscriber(
    site: Site, page: Page, runtime: Runtime, store: StoreFixture
) -> None:
    add_admin(runtime)
    with running_receiver() as receiver:
        sign_in(page, site, "/admin/subscribers")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_role("button", name="Add subscriber").click()
        secret = page.locator("code.secret").first.text_content()
        assert secret and secret.startswith("whsec_")
        receiver.secret = secret

        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_role("heading", name="Message")).to_contain_text("order.test")
        assert receiver.arrived.wait(timeout=20)
        [delivery] = receiver.requests
        assert delivery.verified and delivery.type == "order.test"
        wait_for_sent(page, receiver)


def wait_for_sent(page: Page, receiver: Receiver) -> None:
    def sent() -> bool:
        page.reload()
        return (page.locator("#message-status").text_content() or "").strip() == "sent"

    wait_until(sent, timeout=20, interval=0.5, what="the message to show as sent")


def test_names_that_are_attacks_are_shown_as_text_everywhere(
    site: Site, page: Page, watcher: Watcher, runtime: Runtime, store: StoreFixture
) -> None:
    items = [{"name": IMAGE_NAME, "sku": "X-1", "quantity": 1, "unit_amount": 5_350}]
    place(site, runtime, store, "1004", customer_name=SCRIPT_NAME, line_items=items)
    order = find_order(runtime, store.id, "1004")
    assert order is not None
    add_admin(runtime)

    page.goto(site.url(f"/orders/{order.public_token}"))
    expect(page.get_by_text(IMAGE_NAME)).to_be_visible()
    sign_in(page, site, f"/admin/orders/{order.id}")
    expect(page.get_by_text(SCRIPT_NAME)).to_be_visible()
    expect(page.get_by_text(IMAGE_NAME, exact=False)).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^event \d+$")).first.click()
    expect(page.locator("pre.payload")).to_contain_text(SCRIPT_NAME)
    page.goto(site.url("/admin/orders?q=1004"))
    expect(page.get_by_role("cell", name=SCRIPT_NAME)).to_be_visible()
    page.goto(site.url("/admin/customers"))
    expect(page.get_by_role("cell", name=SCRIPT_NAME)).to_be_visible()
    page.get_by_role("link", name="ada.lovelace@example.com").click()
    expect(page.get_by_role("heading", name=SCRIPT_NAME)).to_be_visible()

    assert page.locator("img[src='x']").count() == 0
    assert watcher.alerts == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin/"])
def test_signing_in_never_redirects_off_the_site(
    site: Site, page: Page, runtime: Runtime, store: StoreFixture, target: str
) -> None:
    add_admin(runtime)
    sign_in(page, site, target)
    assert page.url == site.url("/admin/")


def test_the_owner_connects_stripe_from_the_connections_page(
    site: Site,
    page: Page,
    runtime: Runtime,
    stripe_api: StripeStandIn,
    test_mode_store: StoreFixture,
) -> None:
    add_admin(runtime)
    sign_in(page, site)
    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect Stripe").click()
    page.get_by_label("Test-mode secret or restricted key").fill(stripe_api.api_key)
    page.get_by_role("button", name="Connect test mode").click()
    expect(page.get_by_text("Connected to Stripe in test mode")).to_be_visible()
    [endpoint] = stripe_api.endpoints.values()
    test_mode = page.locator("#stripe-test")
    expect(test_mode.get_by_text(endpoint["id"])).to_be_visible()
    expect(test_mode.locator(".badge-enabled")).to_have_text("enabled")
    expect(test_mode.get_by_text(stripe_api.api_key)).to_have_count(0)
    assert endpoint["url"] == test_mode_store.url("stripe")

    # What Stripe signs with the secret it returned verifies at the store's URL (once the
    # web workers' few-seconds cache of the old secret has passed).
    event = samples.event("customer.created", {"id": "cus_1"}, livemode=False)
    wait_until(
        lambda: (
            site.post_webhook(test_mode_store, "stripe", event, secret=endpoint["secret"]) == 200
        ),
        timeout=15,
        interval=1,
        what="the new secret to verify",
    )


def test_an_unreachable_woocommerce_site_shows_what_to_paste_by_hand_with_copy_buttons(
    site: Site, page: Page, watcher: Watcher, runtime: Runtime, store: StoreFixture
) -> None:
    add_admin(runtime)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    sign_in(page, site, "/admin/connections/woocommerce")
    page.get_by_label("Site URL").fill("http://127.0.0.1:9")
    page.get_by_label("Consumer key").fill("ck_" + "4f1e" * 10)
    page.get_by_label("Consumer secret").fill("cs_" + "9b2d" * 10)
    page.get_by_role("button", name="Connect WooCommerce").click()
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    # The page's own status says the site failed (502); Chromium logs that, and only that.
    assert watcher.errors == [
        "Failed to load resource: the server responded with a status of 502 (BAD GATEWAY)"
    ]
    watcher.errors.clear()
    by_hand = page.locator("#by-hand")
    expect(by_hand.get_by_role("heading", name="Set it up by hand")).to_be_visible()
    expect(by_hand.locator("ol li")).to_have_count(3)
    expect(by_hand.locator("#woocommerce-url")).to_have_text(store.url("woocommerce"))
    expect(by_hand.locator("#woocommerce-secret")).to_have_text(store.secret("woocommerce"))

    copy = by_hand.locator('button[data-copy="woocommerce-secret"]')
    copy.click()
    expect(copy).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == store.secret("woocommerce")
    by_hand.locator('button[data-copy="woocommerce-url"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == store.url("woocommerce")


def test_the_owner_connects_mailchimp_choosing_the_audience_then_disconnects(
    site: Site,
    page: Page,
    runtime: Runtime,
    mailchimp_api: MailchimpStandIn,
    store: StoreFixture,
) -> None:
    mailchimp_api.add_audience("f00dfeed01", "Wholesale buyers")
    add_admin(runtime)
    sign_in(page, site)
    page.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect Mailchimp").click()
    page.get_by_label("API key").fill(API_KEY)
    page.get_by_role("button", name="Connect Mailchimp").click()

    choice = page.locator("#mailchimp-audiences")
    expect(choice.get_by_role("radio")).to_have_count(2)
    expect(page.get_by_text(API_KEY)).to_have_count(0)
    choice.get_by_label("Wholesale buyers").check()
    choice.get_by_label("Double opt-in").check()
    choice.get_by_role("button", name="Connect this audience").click()

    expect(
        page.get_by_text("Connected to Mailchimp: the audience Wholesale buyers")
    ).to_be_visible()
    [hook] = mailchimp_api.webhooks["f00dfeed01"].values()
    account = page.locator("#mailchimp-account")
    expect(account.get_by_text(hook["id"])).to_be_visible()
    expect(account.get_by_text("on: new members from checkouts confirm")).to_be_visible()
    expect(page.get_by_text(API_KEY)).to_have_count(0)
    assert hook["sources"] == {"user": True, "admin": True, "api": False}
    # The URL Mailchimp was given answers its check (a GET) at the running service.
    path = hook["url"].removeprefix(runtime.settings.public_url)
    wait_until(lambda: http_status(site.url(path)) == 200, what="the webhook URL to answer")

    account.get_by_role("button", name="Disconnect").click()  # the confirm is accepted
    expect(page.get_by_text("Disconnected from Mailchimp")).to_be_visible()
    assert mailchimp_api.webhooks["f00dfeed01"] == {}
    # Its secret is replaced: the old URL verifies nothing (once the workers' cache passes).
    wait_until(lambda: http_status(site.url(path)) == 404, timeout=15, what="the old URL to 404")
