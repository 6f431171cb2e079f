"""Take the README's screenshots: `python -m tests.screenshots [docs/screenshots]`.

Runs the real thing on a throwaway SQLite database and an embedded Redis (gunicorn, a
worker, signed webhooks, a store webhook receiver) and photographs the status page at
phone and desktop width, the admin dashboard and an order's timeline in Chromium.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page

from handlers.easypost import samples as easypost
from handlers.standard import samples as standard
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.dev.embedded_redis import EmbeddedRedis
from shopsync.migrate import upgrade
from shopsync.models import Order
from shopsync.orders.orders import flag_attention
from shopsync.outbox.jobs import wake_senders
from shopsync.outbox.stats import outbox_stats
from shopsync.runtime import Runtime
from shopsync.work import Cause, unit_of_work
from tests.browser import Site, chromium, running_site
from tests.conftest import settings_environ
from tests.pages import OWNER, PASSWORD, add_admin, find_order, subscribe
from tests.processes import wait_until
from tests.receivers import running_receiver
from tests.support import StoreFixture, make_store

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


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
    app = create_app(Settings.from_env(env))
    rt: Runtime = app.extensions["shopsync"].runtime
    upgrade(rt.engine)
    store = make_store(rt, name="Juniper & Co.")
    add_admin(rt)
    with running_receiver() as receiver, running_site(env, root) as site:
        receiver.secret = subscribe(rt, store, receiver.url).secret
        token = stock_the_shop(site, rt, store)
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
        flag_attention(work, work.session.get(Order, late.id), "paid 40.00 EUR of 53.50 EUR")
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
