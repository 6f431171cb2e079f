"""One filter for every link taken from a payload: only plain web addresses pass."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.easypost import samples as easypost_samples
from handlers.shopify import samples as shopify_samples
from handlers.standard import samples as standard_samples
from shopsync.models import Shipment
from shopsync.runtime import Runtime
from shopsync.urls import safe_web_url
from tests.support import StoreFixture, deliver, event_statuses, events, work_queue

LIMIT = 1000

UNSAFE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\njavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript\r:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.com/x",
    "//evil.example/track",
    "/track/1Z2345",
    "track/1Z2345",
    "https:evil.example",
    "https:///evil.example",
    "https:\\\\evil.example",
    "https://good.example\\@evil.example",
    "http://user:pass@example.com/",
    "http://user@example.com/",
    "https://@example.com/",
    "https://exa mple.com/",
    "https://example.com/\u202etxt.exe",
    "https://example.com/\u200b",
    "https://example.com/\x00",
    "https://example.com:0/",
    "https://example.com:99999/",
    "https://[::1/",
    "https://example.com/" + "a" * LIMIT,
    "",
    "   ",
    None,
    42,
]

SAFE = [
    ("https://www.ups.com/WebTracking?loc=en_US&tracknum=1Z2345", None),
    ("http://tracking.example/1Z?x=1#top", None),
    ("HTTPS://Example.COM/Track", None),
    ("  https://example.com/track  ", "https://example.com/track"),
    ("https://example.com:8443/t", None),
    ("https://[2001:db8::1]/t", None),
    ("https://xn--bcher-kva.example/t", None),
]


@pytest.mark.parametrize("value", UNSAFE)
def test_anything_but_a_plain_web_address_is_refused(value: Any) -> None:
    assert safe_web_url(value, LIMIT) is None


@pytest.mark.parametrize(("value", "expected"), SAFE)
def test_plain_web_addresses_pass(value: str, expected: str | None) -> None:
    assert safe_web_url(value, LIMIT) == (expected or value)


def announce_order(client: FlaskClient, store: StoreFixture) -> None:
    deliver(
        client,
        store,
        "standard",
        standard_samples.event("order.created", standard_samples.order("A-1")),
    )


def parcels(rt: Runtime) -> list[Shipment]:
    with Session(rt.engine) as session:
        return list(session.exec(select(Shipment).order_by(col(Shipment.id))))


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "JaVaScRiPt:x", "data:,x"])
def test_shopify_tracking_link_is_filtered(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, url: str
) -> None:
    snapshot = shopify_samples.order("1001", financial_status="paid")
    deliver(client, store, "shopify", snapshot, headers={"X-Shopify-Topic": "orders/paid"})
    parcel = shopify_samples.fulfillment("1001", fulfillment_id=7)
    parcel.update(tracking_url=url, tracking_urls=[url])
    deliver(client, store, "shopify", parcel, headers={"X-Shopify-Topic": "fulfillments/create"})
    work_queue(runtime)
    [shipment] = parcels(runtime)
    # The parcel is still recorded; only the link is left out.
    assert (shipment.tracking_number, shipment.tracking_url) == ("1Z2345", None)


def test_easypost_public_url_is_filtered(
    client: FlaskClient, store: StoreFixture, runtime: Runtime
) -> None:
    announce_order(client, store)
    announced = standard_samples.shipment("A-1", tracking_number="EZ1", tracking_url=None)
    deliver(client, store, "standard", standard_samples.event("shipment.created", announced))
    tracker = easypost_samples.tracker("EZ1", status="in_transit")
    tracker["public_url"] = "http://user:pass@track.example/EZ1"
    deliver(client, store, "easypost", easypost_samples.event(tracker))
    work_queue(runtime)
    [shipment] = parcels(runtime)
    assert (shipment.status, shipment.tracking_url) == ("in_transit", None)


@pytest.mark.parametrize("url", ["http://user:pass@track.example/1", "https:\\\\evil.example"])
def test_standard_webhooks_tracking_link_is_unprocessable(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, url: str
) -> None:
    announce_order(client, store)
    parcel = standard_samples.shipment("A-1", tracking_url=url)
    deliver(client, store, "standard", standard_samples.event("shipment.created", parcel))
    work_queue(runtime)
    assert event_statuses(runtime) == ["processed", "unprocessable"]
    assert "tracking_url must be an http(s) URL" in (events(runtime)[1].last_error or "")
    assert parcels(runtime) == []
