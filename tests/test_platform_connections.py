"""Connecting WooCommerce and Shopify against local stand-ins of their APIs: webhooks made
there with the store's URL and secret, credentials kept encrypted and never logged,
connecting twice never doubling anything, and typed addresses kept off private hosts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from handlers.shopify import samples as shopify_samples
from handlers.woocommerce import samples as woo_samples
from shopsync.admin.connections import platform_client
from shopsync.connections import platforms, shopify, woocommerce
from shopsync.connections.platform_http import PlatformClient, PlatformRefused, PlatformUnreachable
from shopsync.connections.platforms import PlatformConnectionError
from shopsync.errors import InvalidSecret
from shopsync.models import PlatformConnection, WebhookEndpoint
from shopsync.outbox.http import TargetPolicy
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.platform_standins import (
    SHOP,
    SHOPIFY_APP_SECRET,
    SHOPIFY_TOKEN,
    WC_KEY,
    WC_SECRET,
    ShopifyAdmin,
    WooCommerceSite,
)
from tests.support import StoreFixture, deliver

NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def extra_environ(shop_api: ShopifyAdmin) -> dict[str, str]:
    return {"SHOPIFY_API_BASE": shop_api.base, "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2"}


@pytest.fixture
def client_for(runtime: Runtime) -> Iterator[PlatformClient]:
    with platform_client(runtime) as client:
        yield client


def connect_woo(
    rt: Runtime, client: PlatformClient, store: StoreFixture, url: str, **keys: str
) -> platforms.PlatformStatus:
    return woocommerce.connect(
        rt.engine,
        rt.vault,
        client,
        store_id=store.id,
        site=url,
        consumer_key=keys.get("consumer_key", WC_KEY),
        consumer_secret=keys.get("consumer_secret", WC_SECRET),
        public_url=rt.settings.public_url,
    )


def connect_shop(
    rt: Runtime, client: PlatformClient, store: StoreFixture, **given: str
) -> platforms.PlatformStatus:
    return shopify.connect(
        rt.engine,
        rt.vault,
        client,
        store_id=store.id,
        domain=given.get("domain", SHOP),
        access_token=given.get("token", SHOPIFY_TOKEN),
        api_secret=given.get("secret", SHOPIFY_APP_SECRET),
        public_url=rt.settings.public_url,
        api_base=rt.settings.shopify_api_base,
    )


def stored_rows(rt: Runtime) -> list[PlatformConnection]:
    with Session(rt.engine) as session:
        return list(session.exec(select(PlatformConnection)))


def fresh(client: FlaskClient) -> FlaskClient:
    with client.application.app_context():
        app_state().directory.forget()  # secrets are cached for seconds; look again now
    return client


def test_woocommerce_gets_one_webhook_per_order_topic_with_the_stores_url_and_secret(
    runtime: Runtime,
    client_for: PlatformClient,
    woo_site: WooCommerceSite,
    store: StoreFixture,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = connect_woo(runtime, client_for, store, woo_site.url + "/")
    hooks = sorted(woo_site.webhooks.values(), key=lambda h: h["topic"])
    assert [h["topic"] for h in hooks] == [
        "order.created",
        "order.deleted",
        "order.restored",
        "order.updated",
    ]
    assert {h["delivery_url"] for h in hooks} == {store.url("woocommerce")}
    assert {h["secret"] for h in hooks} == {store.secret("woocommerce")}
    assert {h["status"] for h in hooks} == {"active"}
    assert status.connected and status.site == woo_site.url
    assert dict(status.hints) == {
        "consumer_key": "…" + WC_KEY[-4:],
        "consumer_secret": "…" + WC_SECRET[-4:],
    }
    # The keys travel only as Basic credentials, never in a URL or a body.
    for call in woo_site.calls:
        assert WC_KEY not in json.dumps([call.path, call.query, call.body])
    [row] = stored_rows(runtime)
    assert WC_KEY not in row.credentials_encrypted and WC_SECRET not in row.credentials_encrypted
    assert WC_KEY not in caplog.text and WC_SECRET not in caplog.text

    # What the site then sends verifies at the store's endpoint.
    body = woo_samples.sample("order.created", "2001")
    answer = deliver(
        fresh(client),
        store,
        "woocommerce",
        body,
        secret=hooks[0]["secret"],
        event_type="order.created",
    )
    assert answer.status_code == 200


def test_connecting_woocommerce_again_brings_back_its_webhooks_instead_of_doubling_them(
    runtime: Runtime, client_for: PlatformClient, woo_site: WooCommerceSite, store: StoreFixture
) -> None:
    connect_woo(runtime, client_for, store, woo_site.url)
    first = set(woo_site.webhooks)
    for hook in woo_site.webhooks.values():
        hook["status"] = "disabled"  # after five failed deliveries
    connect_woo(runtime, client_for, store, woo_site.url)
    assert set(woo_site.webhooks) == first
    assert {h["status"] for h in woo_site.webhooks.values()} == {"active"}
    assert woocommerce.remote_statuses(
        runtime.engine, runtime.vault, client_for, store_id=store.id
    ) == {
        "order.created": "active",
        "order.deleted": "active",
        "order.restored": "active",
        "order.updated": "active",
    }

    deleted = woocommerce.disconnect(runtime.engine, runtime.vault, client_for, store_id=store.id)
    assert deleted == 4 and woo_site.webhooks == {} and stored_rows(runtime) == []


def test_woocommerce_refusing_the_keys_or_not_answering_keeps_nothing(
    runtime: Runtime, client_for: PlatformClient, woo_site: WooCommerceSite, store: StoreFixture
) -> None:
    with pytest.raises(PlatformRefused, match="401"):
        connect_woo(runtime, client_for, store, woo_site.url, consumer_secret="cs_" + "0" * 40)
    with pytest.raises(PlatformUnreachable, match="could not be reached"):
        connect_woo(runtime, client_for, store, NOWHERE)
    with pytest.raises(PlatformConnectionError, match="starts with ck_"):
        connect_woo(runtime, client_for, store, woo_site.url, consumer_key="sk_wrong_" + "1" * 20)
    assert stored_rows(runtime) == [] and woo_site.webhooks == {}


@pytest.mark.parametrize(
    "typed",
    [
        "http://shop.example",
        "https://127.0.0.1:{port}",
        "https://localhost:{port}/shop",
        "https://169.254.169.254",
        "https://[::1]:{port}",
        "ftp://shop.example",
    ],
)
def test_a_typed_site_url_cannot_reach_private_hosts_in_production(
    runtime: Runtime, woo_site: WooCommerceSite, store: StoreFixture, typed: str
) -> None:
    client = PlatformClient(TargetPolicy.PUBLIC, timeout=2)
    try:
        with pytest.raises((PlatformConnectionError, PlatformUnreachable)):
            connect_woo(runtime, client, store, typed.format(port=woo_site.port))
    finally:
        client.close()
    assert woo_site.calls == [] and stored_rows(runtime) == []


def test_shopify_subscriptions_are_made_the_app_secret_signs_and_the_shop_is_pinned(
    runtime: Runtime,
    client_for: PlatformClient,
    shop_api: ShopifyAdmin,
    store: StoreFixture,
    client: FlaskClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = connect_shop(runtime, client_for, store)
    made = sorted(shop_api.subscriptions.values(), key=lambda s: s["topic"])
    assert [s["topic"] for s in made] == sorted(shopify.topic_enum(t) for t in shopify.topics())
    assert "ORDERS_CREATE" in {s["topic"] for s in made} and "SHOP_REDACT" not in {
        s["topic"] for s in made
    }
    assert {s["uri"] for s in made} == {store.url("shopify")}
    assert status.pinned == SHOP and dict(status.hints)["access_token"] == "…" + SHOPIFY_TOKEN[-4:]
    assert all(c.path == "/admin/api/2025-10/graphql.json" for c in shop_api.calls)
    [row] = stored_rows(runtime)
    assert SHOPIFY_TOKEN not in row.credentials_encrypted and SHOPIFY_TOKEN not in caplog.text
    assert SHOPIFY_APP_SECRET not in caplog.text

    body = shopify_samples.sample("orders/create", "3001")
    sent = deliver(
        fresh(client),
        store,
        "shopify",
        body,
        secret=SHOPIFY_APP_SECRET,
        event_type="orders/create",
        headers={"X-Shopify-Shop-Domain": SHOP},
    )
    assert sent.status_code == 200
    elsewhere = deliver(
        client,
        store,
        "shopify",
        body,
        secret=SHOPIFY_APP_SECRET,
        event_type="orders/create",
        headers={"X-Shopify-Shop-Domain": "another.myshopify.com"},
    )
    assert elsewhere.status_code == 400

    # Again: nothing doubles; then disconnecting deletes every subscription.
    connect_shop(runtime, client_for, store)
    assert len(shop_api.subscriptions) == len(made)
    removed = shopify.disconnect(
        runtime.engine, runtime.vault, client_for, store_id=store.id, api_base=shop_api.base
    )
    assert removed == len(made) and shop_api.subscriptions == {} and stored_rows(runtime) == []


def test_shopify_refusals_keep_nothing_and_change_no_secret(
    runtime: Runtime, client_for: PlatformClient, shop_api: ShopifyAdmin, store: StoreFixture
) -> None:
    before = endpoint_secrets(runtime, store)
    with pytest.raises(InvalidSecret):
        connect_shop(runtime, client_for, store, secret="short")
    with pytest.raises(PlatformConnectionError, match=r"\.myshopify\.com"):
        connect_shop(runtime, client_for, store, domain="shop.example.com")
    with pytest.raises(PlatformRefused, match="401"):
        connect_shop(runtime, client_for, store, token="shpat_" + "0" * 32)
    shop_api.shop = "someone-else.myshopify.com"
    with pytest.raises(PlatformConnectionError, match="another shop"):
        connect_shop(runtime, client_for, store)
    assert shop_api.subscriptions == {} and stored_rows(runtime) == []
    assert endpoint_secrets(runtime, store) == before
    assert [c for c in shop_api.calls if "webhookSubscriptionCreate" in c.body["query"]] == []


def test_a_shopify_key_given_by_hand_is_checked_and_pins_the_shop(
    runtime: Runtime, store: StoreFixture
) -> None:
    with pytest.raises(InvalidSecret):
        shopify.use_signing_key(
            runtime.engine, runtime.vault, store_id=store.id, domain=SHOP, key="x" * 8
        )
    key = "f" * 64
    shopify.use_signing_key(
        runtime.engine, runtime.vault, store_id=store.id, domain=SHOP.upper(), key=key
    )
    assert endpoint_secrets(runtime, store) == [key]
    found = platforms.status_of(
        runtime.engine, runtime.vault, store_id=store.id, provider="shopify"
    )
    assert found.pinned == SHOP and not found.connected


def endpoint_secrets(rt: Runtime, store: StoreFixture) -> list[str]:
    with Session(rt.engine) as session:
        endpoint = session.exec(
            select(WebhookEndpoint).where(
                WebhookEndpoint.store_id == store.id, WebhookEndpoint.provider == "shopify"
            )
        ).first()
    assert endpoint is not None
    return rt.vault.decrypt_list(endpoint.secrets_encrypted)
