"""Take the README's screenshots: `python -m tests.screenshots [docs/screenshots]`.

Runs the real thing on a throwaway SQLite database and an embedded Redis (gunicorn, a
worker, signed webhooks, a store webhook receiver) and photographs the status page at
phone and desktop width, the admin dashboard, an order's timeline, the Connections page
(Stripe and WooCommerce connected to local stand-ins of their APIs) and a customer's page.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, ViewportSize
from sqlmodel import Session, select

from handlers.easypost import samples as easypost
from handlers.standard import samples as standard
from handlers.stripe import samples as stripe_samples
from shopsync.admin.connections import platform_client, stripe_services
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.connections import stripe as stripe_connection
from shopsync.connections import woocommerce
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.migrate import upgrade
from shopsync.models import Order, Subscription, WebhookEndpoint
from shopsync.orders.orders import flag_attention
from shopsync.outbox.jobs import wake_senders
from shopsync.outbox.stats import outbox_stats
from shopsync.runtime import Runtime
from shopsync.work import Cause, unit_of_work
from tests.browser import Site, chromium, running_site
from tests.conftest import settings_environ
from tests.mail_server import running_mail_server
from tests.pages import OWNER, PASSWORD, add_admin, find_order, subscribe
from tests.platform_standins import WC_KEY, WC_SECRET, WooCommerceSite, running_woocommerce
from tests.processes import wait_until
from tests.receivers import running_receiver
from tests.stripe_standin import StripeStandIn, running_stripe
from tests.support import StoreFixture, make_store

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def main(target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        redis = EmbeddedRedis(root / "redis").start()
        try:
            env = settings_environ(root, f"sqlite:///{root / 'shop.sqlite3'}", redis.url)
            env["SHOPSYNC_RELAY_SECONDS"] = "1"
            photograph(env, root, target)
        finally:
            redis.stop()


def photograph(env: dict[str, str], root: Path, target: Path) -> None:
    with (
        running_stripe() as stripe_api,
        running_woocommerce() as woo,
        running_mail_server() as mail,
    ):
        env = {**env, "STRIPE_API_BASE": stripe_api.base, "SMTP_URL": mail.url()}
        app = create_app(Settings.from_env(env))
        rt: Runtime = app.extensions["shopsync"].runtime
        upgrade(rt.engine)
        store = make_store(rt, name="Juniper & Co.")
        add_admin(rt)
        connect_accounts(rt, store, stripe_api, woo)
        photograph_site(env, root, target, rt, store)


def photograph_site(
    env: dict[str, str], root: Path, target: Path, rt: Runtime, store: StoreFixture
) -> None:
    with running_receiver() as receiver, running_site(env, root) as site:
        receiver.secret = subscribe(rt, store, receiver.url).secret
        token = stock_the_shop(site, rt, store)
        subscribe_a_customer(site, rt, store)
        with chromium() as browser:
            page = browser.new_page(viewport=PHONE)
            page.goto(site.url(f"/orders/{token}"))
            page.screenshot(path=str(target / "status-page-phone.png"), full_page=True)
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=str(target / "status-page-desktop.png"), full_page=True)
            sign_in(page, site)
            page.screenshot(path=str(target / "admin-dashboard.png"), full_page=True)
            order = find_order(rt, store.id, "1001")
            assert order is not None
            page.goto(site.url(f"/admin/orders/{order.id}"))
            page.screenshot(path=str(target / "admin-order-timeline.png"), full_page=True)
            page.goto(site.url("/admin/connections/stripe"))
            page.screenshot(path=str(target / "admin-connections-stripe.png"), full_page=True)
            page.goto(site.url("/admin/connections"))
            page.screenshot(path=str(target / "admin-connections.png"), full_page=True)
            page.goto(site.url("/admin/customers?q=ada"))
            page.get_by_role("link", name="ada.lovelace@example.com").click()
            page.screenshot(path=str(target / "admin-customer.png"), full_page=True)


def connect_accounts(
    rt: Runtime, store: StoreFixture, stripe_api: StripeStandIn, woo: WooCommerceSite
) -> None:
    """Stripe (live mode) and WooCommerce connected as the pages would, to stand-ins."""
    stripe_connection.connect(
        stripe_services(rt),
        store_id=store.id,
        api_key=stripe_api.live_key,
        public_url=rt.settings.public_url,
        events=stripe_connection.handled_events(),
    )
    with platform_client(rt) as client:
        woocommerce.connect(
            rt.engine,
            rt.vault,
            client,
            store_id=store.id,
            site=woo.url,
            consumer_key=WC_KEY,
            consumer_secret=WC_SECRET,
            public_url=rt.settings.public_url,
        )


def subscribe_a_customer(site: Site, rt: Runtime, store: StoreFixture) -> None:
    """Ada's monthly plan: its first invoice paid, then the subscription, by signed events."""
    now = int(time.time())
    period = (now - 86400, now + 29 * 86400)
    first = stripe_samples.invoice(
        amount=2000,
        subscription_id="sub_1QJuniper",
        customer="cus_QJuniperAda",
        email="ada.lovelace@example.com",
        invoice_id="in_1QJuniper",
        created=now - 86400,
        billing_reason="subscription_create",
        period=period,
    )
    created = stripe_samples.subscription(
        subscription_id="sub_1QJuniper", customer="cus_QJuniperAda", period=period
    )
    for event_type, obj in (("invoice.paid", first), ("customer.subscription.created", created)):
        event = stripe_samples.event(event_type, obj, livemode=True, created=now - 3600)
        assert site.post_webhook(store, "stripe", event, secret=_stripe_secret(rt, store)) == 200
    wait_until(lambda: _subscribed(rt, store), what="the subscription")


def _stripe_secret(rt: Runtime, store: StoreFixture) -> str:
    with Session(rt.engine) as session:
        endpoint = session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.store_id == store.id, WebhookEndpoint.provider == "stripe"
            )
        ).one()
    return rt.vault.decrypt_list(endpoint.secrets_encrypted)[0]


def _subscribed(rt: Runtime, store: StoreFixture) -> bool:
    with Session(rt.engine) as session:
        found = session.exec(select(Subscription).where(Subscription.store_id == store.id)).first()
    return found is not None and found.customer_id is not None


def stock_the_shop(site: Site, rt: Runtime, store: StoreFixture) -> str:
    """A few orders at different stages; returns the status page token of #1001."""
    deliveries = [
        standard.event("order.created", standard.order("1001")),
        standard.event("shipment.created", standard.shipment("1001", status="in_transit")),
        standard.event("order.created", standard.order("1002", payment_status="awaiting_payment")),
        standard.event("order.created", standard.order("1003")),
        standard.event("shipment.delivered", standard.shipment("1003", status="delivered")),
        standard.event("order.created", standard.order("1004")),
    ]
    for payload in deliveries:
        assert site.post_webhook(store, "standard", payload) == 200
    code = standard.tracking_number_for("1001")
    tracker = easypost.event(easypost.tracker(code, status="out_for_delivery"))
    assert site.post_webhook(store, "easypost", tracker) == 200
    wait_until(lambda: _state(rt, store, "1001") == "out_for_delivery", what="order 1001")
    late = find_order(rt, store.id, "1004")
    assert late is not None
    with unit_of_work(rt.engine, store_id=store.id, cause=Cause.cli("screenshots")) as work:
        flagged = work.session.get(Order, late.id)
        assert flagged is not None
        flag_attention(work, flagged, "paid 40.00 EUR of 53.50 EUR")
    wake_senders(rt.redis, work.posted)
    wait_until(lambda: outbox_stats(rt.engine).oldest_waiting_seconds == 0, what="webhooks sent")
    order = find_order(rt, store.id, "1001")
    assert order is not None
    return order.public_token


def _state(rt: Runtime, store: StoreFixture, external_id: str) -> str | None:
    order = find_order(rt, store.id, external_id)
    return order.state if order else None


def sign_in(page: Page, site: Site) -> None:
    page.goto(site.url("/admin/login"))
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site.url("/admin/"))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
