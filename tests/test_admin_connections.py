"""The Connections pages: Stripe by mode, WooCommerce and Shopify, each against a local
stand-in; what to paste by hand when a platform cannot be reached; keys never shown
again; one store's user never reaches another store's connections."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from shopsync.admin.connections import stripe_services
from shopsync.connections import stripe as stripe_connection
from shopsync.models import StripeConnection
from shopsync.runtime import Runtime
from tests.pages import PASSWORD, add_admin, csrf_token, post_form, sign_in, text_of
from tests.platform_standins import (
    SHOP,
    SHOPIFY_APP_SECRET,
    SHOPIFY_TOKEN,
    WC_KEY,
    WC_SECRET,
    ShopifyAdmin,
    WooCommerceSite,
)
from tests.stripe_standin import StripeStandIn
from tests.support import StoreFixture, make_store

NOWHERE = "http://127.0.0.1:9"


@pytest.fixture
def extra_environ(stripe_api: StripeStandIn, shop_api: ShopifyAdmin) -> dict[str, str]:
    return {
        "STRIPE_API_BASE": stripe_api.base,
        "SHOPIFY_API_BASE": shop_api.base,
        "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS": "2",
    }


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime, test_mode_store: StoreFixture) -> FlaskClient:
    add_admin(runtime)
    sign_in(client)
    return client


def test_stripe_is_connected_per_mode_from_the_page_and_shows_its_endpoint(
    owner: FlaskClient, stripe_api: StripeStandIn, test_mode_store: StoreFixture
) -> None:
    page = text_of(owner.get("/admin/connections/stripe"))
    assert "Test mode" in page and "Live mode" in page
    wrong = post_form(
        owner, "/admin/connections/stripe/connect", mode="live", api_key=stripe_api.api_key
    )
    assert wrong.status_code == 422 and "paste it under Test mode" in text_of(wrong)

    done = post_form(
        owner, "/admin/connections/stripe/connect", mode="test", api_key=stripe_api.api_key
    )
    assert done.status_code == 303
    page = text_of(owner.get("/admin/connections/stripe"))
    [endpoint] = stripe_api.endpoints.values()
    assert endpoint["id"] in page and "acct_standin01" in page
    assert "badge-enabled" in page  # as Stripe has it now
    assert stripe_api.api_key not in page and stripe_api.api_key[-4:] in page
    assert endpoint["secret"] not in page

    stripe_api.endpoints[endpoint["id"]]["status"] = "disabled"
    assert "badge-disabled" in text_of(owner.get("/admin/connections/stripe"))
    overview = text_of(owner.get("/admin/connections"))
    assert "acct_standin01" in overview and "Manage Stripe" in overview


def test_rolling_and_disconnecting_stripe_from_the_page(
    owner: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, test_mode_store: StoreFixture
) -> None:
    post_form(owner, "/admin/connections/stripe/connect", mode="test", api_key=stripe_api.api_key)
    rolled = post_form(owner, "/admin/connections/stripe/test/roll")
    assert rolled.status_code == 303
    assert "old one keeps verifying until" in text_of(owner.get("/admin/connections/stripe"))
    assert len(stripe_api.endpoints) == 2
    assert post_form(owner, "/admin/connections/stripe/test/finish-roll").status_code == 303
    assert len(stripe_api.endpoints) == 1
    assert post_form(owner, "/admin/connections/stripe/test/disconnect").status_code == 303
    assert stripe_api.endpoints == {}
    assert stripe_connection.connected_modes(runtime.engine, test_mode_store.id) == []


def test_a_live_store_takes_no_test_key(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, store: StoreFixture
) -> None:
    add_admin(runtime)
    sign_in(client)
    page = text_of(client.get("/admin/connections/stripe"))
    assert "This store is live" in page
    refused = post_form(
        client, "/admin/connections/stripe/connect", mode="test", api_key=stripe_api.api_key
    )
    assert refused.status_code == 422 and "is live and this is a test key" in text_of(refused)
    assert stripe_api.endpoints == {}


def test_woocommerce_connects_from_the_page_and_shows_its_webhooks(
    owner: FlaskClient, woo_site: WooCommerceSite, test_mode_store: StoreFixture
) -> None:
    done = post_form(
        owner,
        "/admin/connections/woocommerce/connect",
        site=woo_site.url,
        consumer_key=WC_KEY,
        consumer_secret=WC_SECRET,
    )
    assert done.status_code == 303
    page = text_of(owner.get("/admin/connections/woocommerce"))
    assert page.count("badge-active") == 4 and woo_site.url in page
    assert WC_KEY not in page and WC_SECRET not in page and WC_SECRET[-4:] in page
    assert test_mode_store.secret("woocommerce") not in page

    woo_site.webhooks.pop(min(woo_site.webhooks))
    assert "badge-gone" in text_of(owner.get("/admin/connections/woocommerce"))


def test_an_unreachable_woocommerce_shows_the_url_and_secret_to_paste_by_hand(
    owner: FlaskClient, test_mode_store: StoreFixture
) -> None:
    failed = post_form(
        owner,
        "/admin/connections/woocommerce/connect",
        site=NOWHERE,
        consumer_key=WC_KEY,
        consumer_secret=WC_SECRET,
    )
    assert failed.status_code == 502
    page = text_of(failed)
    assert "could not be reached" in page and "Set it up by hand" in page
    assert test_mode_store.url("woocommerce") in page
    assert test_mode_store.secret("woocommerce") in page
    assert page.count('data-copy="woocommerce-') == 2
    assert WC_SECRET not in page  # the keys typed are not put back
    assert "Order restored" in page

    # Later, on request, after the password is entered again.
    assert test_mode_store.secret("woocommerce") not in text_of(
        owner.get("/admin/connections/woocommerce")
    )
    wrong = post_form(owner, "/admin/connections/woocommerce/by-hand", password="not it at all")
    assert wrong.status_code == 403 and test_mode_store.secret("woocommerce") not in text_of(wrong)
    shown = post_form(owner, "/admin/connections/woocommerce/by-hand", password=PASSWORD)
    assert test_mode_store.secret("woocommerce") in text_of(shown)


def test_shopify_connects_from_the_page_or_falls_back_to_setting_it_up_by_hand(
    owner: FlaskClient, shop_api: ShopifyAdmin, runtime: Runtime, test_mode_store: StoreFixture
) -> None:
    refused = post_form(
        owner,
        "/admin/connections/shopify/connect",
        shop=SHOP,
        access_token="shpat_" + "0" * 32,
        api_secret=SHOPIFY_APP_SECRET,
    )
    assert refused.status_code == 502
    page = text_of(refused)
    assert "401" in page and test_mode_store.url("shopify") in page and "signing key" in page
    saved = post_form(
        owner, "/admin/connections/shopify/signing-key", shop=SHOP, signing_key="e" * 64
    )
    assert saved.status_code == 303

    done = post_form(
        owner,
        "/admin/connections/shopify/connect",
        shop=SHOP,
        access_token=SHOPIFY_TOKEN,
        api_secret=SHOPIFY_APP_SECRET,
    )
    assert done.status_code == 303
    page = text_of(owner.get("/admin/connections/shopify"))
    assert SHOP in page and page.count("badge-active") == len(shop_api.subscriptions)
    assert SHOPIFY_TOKEN not in page and SHOPIFY_APP_SECRET not in page


def test_a_user_of_one_store_never_reaches_another_stores_connections(
    client: FlaskClient, runtime: Runtime, stripe_api: StripeStandIn, test_mode_store: StoreFixture
) -> None:
    other = make_store(runtime, name="Shop B", livemode=False)
    stripe_connection.connect(
        stripe_services(runtime),
        store_id=other.id,
        api_key=stripe_api.api_key,
        public_url=runtime.settings.public_url,
        events=stripe_connection.handled_events(),
    )
    [endpoint] = stripe_api.endpoints.values()
    add_admin(runtime, "a@example.com", stores=[test_mode_store.id])
    sign_in(client, "a@example.com")
    page = text_of(client.get("/admin/connections/stripe"))
    assert endpoint["id"] not in page and "acct_standin01" not in page
    token = csrf_token(client, "/admin/")
    for action in ("disconnect", "roll", "finish-roll"):
        client.post(f"/admin/connections/stripe/test/{action}", data={"csrf_token": token})
    client.post("/admin/stores/switch", data={"csrf_token": token, "store_id": other.id})
    client.post("/admin/connections/stripe/test/disconnect", data={"csrf_token": token})
    assert list(stripe_api.endpoints) == [endpoint["id"]]
    with Session(runtime.engine) as session:
        assert session.get(StripeConnection, (other.id, False)) is not None
