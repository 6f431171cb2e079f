"""The customer's status page: what it shows and hides, its live fragment, its headers."""

from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlmodel import Session, select

from handlers.easypost import samples as easypost
from handlers.standard import samples as standard
from handlers.stripe import samples as stripe
from shopsync.models import Order, Shipment
from shopsync.runtime import Runtime
from shopsync.status_page.links import safe_link
from shopsync.status_page.view import branding, public_order
from shopsync.web.extensions import limiter_storage_uri
from shopsync.web.page_headers import content_security_policy
from tests.pages import place_order, ship, text_of
from tests.support import StoreFixture, deliver, make_store, work_queue
from tests.support import order as stored_order


def test_the_page_shows_the_order_in_plain_words_and_nothing_personal(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-1")
    ship(client, runtime, store, "S-1", status="in_transit")

    response = client.get(f"/orders/{order.public_token}")
    page = text_of(response)

    assert response.status_code == 200
    assert "Test shop" in page  # the store's name
    assert "#S-1" in page
    assert re.search(r'id="headline"[^>]*>Shipped<', page)
    assert "Walnut desk organiser" in page and "39.00 EUR" in page
    assert "53.50 EUR" in page and "Paid" in page
    assert "DHL Express" in page and "https://www.dhl.com/track?tracking-id=" in page
    assert "Estimated delivery" in page
    assert "We received your order" in page and "Payment received" in page
    assert "Your order shipped" in page
    # The link may be forwarded: no name, no email address.
    assert "Ada" not in page and "Lovelace" not in page and "@" not in page


def test_the_page_is_private_and_locked_down(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-2")
    response = client.get(f"/orders/{order.public_token}")
    headers = response.headers

    assert '<meta name="robots" content="noindex, nofollow">' in text_of(response)
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    # The URL is the key: it must not leave as a Referer when a tracking link is followed.
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in headers  # nothing about the visitor is kept
    assert "updates by itself when JavaScript is on" in text_of(response)  # <noscript>
    # Everything it loads comes from this site.
    assert not re.search(r'(src|href)="(https?:)?//', _without_links(text_of(response)))


def _without_links(page: str) -> str:
    """The page minus ordinary <a href> links (which load nothing)."""
    return re.sub(r'<a [^>]*href="[^"]*"', "<a", page)


def test_unknown_and_malformed_tokens_get_the_same_404(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-3")
    unknown = client.get("/orders/" + "A" * len(order.public_token))
    malformed = client.get("/orders/not-a-token")
    near_miss = client.get(f"/orders/{order.public_token[:-1]}x")

    assert {unknown.status_code, malformed.status_code, near_miss.status_code} == {404}
    assert text_of(unknown) == text_of(malformed) == text_of(near_miss)
    assert "We can't find that order" in text_of(unknown)
    assert client.get("/orders/not-a-token/live").status_code == 404


def test_one_token_shows_one_order_only(client: FlaskClient, runtime: Runtime) -> None:
    shop_a = make_store(runtime, name="Shop A")
    shop_b = make_store(runtime, name="Shop B")
    mine = place_order(client, runtime, shop_a, "A-1")
    theirs = place_order(client, runtime, shop_b, "B-1", total=9_999)

    page = text_of(client.get(f"/orders/{mine.public_token}"))

    assert "#A-1" in page and "Shop A" in page
    assert "#B-1" not in page and "Shop B" not in page and "99.99" not in page
    assert mine.public_token != theirs.public_token
    assert len(mine.public_token) >= 32  # 192 random bits


def test_the_live_fragment_answers_304_until_the_order_changes(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-4")
    first = client.get(f"/orders/{order.public_token}/live")
    tag = first.headers["ETag"]
    assert first.status_code == 200 and "Paid" in text_of(first)

    unchanged = client.get(f"/orders/{order.public_token}/live", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""

    ship(client, runtime, store, "S-4", status="in_transit")
    changed = client.get(f"/orders/{order.public_token}/live", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != tag
    assert re.search(r'id="headline"[^>]*>Shipped<', text_of(changed))


def test_a_carrier_update_to_one_parcel_shows_on_the_next_poll(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    """A tracker update on a partly shipped order changes a parcel, not the order's stage."""
    order = place_order(client, runtime, store, "S-5")
    ship(client, runtime, store, "S-5", status="label_created", partial=True)
    before = client.get(f"/orders/{order.public_token}/live")
    assert "Label created" in text_of(before)

    code = standard.tracking_number_for("S-5")
    tracker = easypost.event(easypost.tracker(code, status="out_for_delivery"))
    assert deliver(client, store, "easypost", tracker).status_code == 200
    work_queue(runtime)

    etag = before.headers["ETag"]
    after = client.get(f"/orders/{order.public_token}/live", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert "Out for delivery" in text_of(after)


def test_a_tracking_link_that_is_not_http_is_shown_as_text_only(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-6")
    ship(client, runtime, store, "S-6", status="in_transit")
    with Session(runtime.engine) as session, session.begin():
        # Shopify passes a fulfillment's tracking URL through as the store typed it.
        shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).one()
        shipment.tracking_url = "javascript:alert(document.cookie)"

    page = text_of(client.get(f"/orders/{order.public_token}"))

    assert "javascript:" not in page
    assert "Track with" not in page
    assert "EZ" in page  # the tracking number is still there to copy


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/track",
        "https://user:pass@evil.example/",
        "https://",
        'https://carrier.example/"><script>',
        "https://carrier.example/\\evil",
        "https://carrier.example:99999/",
        "ftp://carrier.example/",
        "",
        None,
    ],
)
def test_safe_link_refuses_anything_but_plain_web_links(url: str | None) -> None:
    assert safe_link(url) is None


def test_safe_link_keeps_ordinary_tracking_links() -> None:
    url = "https://www.ups.com/WebTracking?loc=en_US&tracknum=1Z2345"
    assert safe_link(url) == url
    assert safe_link("http://tracking.example/1") == "http://tracking.example/1"
    assert safe_link("http://logo.example/a.png", schemes=("https",)) is None


def test_internal_reasons_and_disputes_never_reach_the_customer(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-7")
    from shopsync.orders.orders import flag_attention
    from shopsync.work import Cause, unit_of_work

    with unit_of_work(runtime.engine, store_id=store.id, cause=Cause.cli("test")) as work:
        found = work.session.get(Order, order.id)
        assert found is not None
        flag_attention(work, found, "customer looks like a fraudster")

    page = text_of(client.get(f"/orders/{order.public_token}"))

    assert "fraudster" not in page and "attention" not in page.lower()


@pytest.mark.parametrize(
    ("redis_url", "storage"),
    [
        (None, "memory://"),
        ("redis://127.0.0.1:6379/6", "redis://127.0.0.1:6379/6"),
        ("rediss://:pw@host:6380", "rediss://:pw@host:6380"),
        ("unix:///tmp/redis.sock?db=2", "redis+unix:///tmp/redis.sock?db=2"),
    ],
)
def test_rate_limits_count_in_the_apps_redis(redis_url: str | None, storage: str) -> None:
    """The `limits` library spells a Redis socket redis+unix:// (a plain unix:// is refused)."""
    assert limiter_storage_uri(redis_url) == storage


def test_a_store_colour_and_logo_are_used_only_when_they_are_safe() -> None:
    def store(colour: str | None, logo: str | None) -> Any:
        return SimpleNamespace(name="Juniper", brand_colour=colour, logo_url=logo)

    light = branding(store("#ffcc00", "https://cdn.example/logo.png"))
    assert (light.colour, light.logo_url, light.text_on_colour) == (
        "#ffcc00",
        "https://cdn.example/logo.png",
        "#111111",  # dark text on a light colour
    )
    assert branding(store("#1f5f8b", None)).text_on_colour == "#ffffff"
    hostile = branding(store("red;}body{display:none", "javascript:alert(1)"))
    assert (hostile.colour, hostile.logo_url) == (None, None)
    assert branding(store("#abc", "http://cdn.example/logo.png")).logo_url is None  # https only


def test_the_brand_colour_style_carries_the_nonce_the_policy_allows(
    app: Flask, runtime: Runtime, client: FlaskClient, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-8")
    with app.test_request_context(f"/orders/{order.public_token}"):
        public = public_order(runtime.engine, order.public_token)
        assert public is not None
        coloured = replace(public, branding=replace(public.branding, colour="#0a7d3b"))
        page = render_template("status/order.html", order=coloured, branding=coloured.branding)
        policy = content_security_policy(images=["https://cdn.example"])
    [nonce] = re.findall(r'<style nonce="([^"]+)">:root \{ --brand: #0a7d3b;', page)
    assert f"style-src 'self' 'nonce-{nonce}'" in policy
    assert "img-src 'self' https://cdn.example" in policy


def test_a_return_on_its_way_back_is_not_shown_as_the_customers_parcel(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    order = place_order(client, runtime, store, "S-9")
    code = standard.tracking_number_for("S-9")
    ship(client, runtime, store, "S-9", status="delivered", tracking_number=code)
    returning = easypost.tracker(code, status="in_transit", carrier="USPS", is_return=True)
    deliver(client, store, "easypost", easypost.event(returning))
    work_queue(runtime)

    public = public_order(runtime.engine, order.public_token)

    assert public is not None and public.headline == "Delivered"
    assert [(p.carrier, p.delivered) for p in public.parcels] == [("DHL Express", True)]
    assert "Your return is on its way to the store" in [m.words for m in public.timeline]


def test_a_bank_payment_on_its_way_says_so(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    session = stripe.checkout_session("S-10", amount=5350, payment_status="unpaid")
    intent = stripe.payment_intent(
        "S-10",
        amount=5350,
        status="processing",
        method="sepa_debit",
        intent_id=session["payment_intent"],
    )
    for event_type, obj in (
        ("checkout.session.completed", session),
        ("payment_intent.processing", intent),
    ):
        deliver(client, store, "stripe", stripe.event(event_type, obj, livemode=True))
    work_queue(runtime)
    order = stored_order(runtime, store.id, "S-10")
    assert order is not None

    page = text_of(client.get(f"/orders/{order.public_token}"))

    assert re.search(r'id="headline"[^>]*>Payment on its way<', page)
    assert "Your bank payment is on its way" in page
