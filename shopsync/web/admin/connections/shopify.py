"""Shopify: webhook subscriptions made through the Admin API, the app's secret as the
signing secret, the endpoint pinned to the shop.

When Shopify cannot be reached or refuses the token, the answer shows the URL to paste
into the Shopify admin by hand, and a form for the signing key Shopify shows there
(Shopify issues that key itself: there is no shopsync secret to paste).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin.connections import platform_client
from shopsync.connections import platforms, shopify
from shopsync.connections.platforms import PlatformConnectionError
from shopsync.errors import InvalidSecret, ProviderError
from shopsync.web.admin.connections import cards, platform_page
from shopsync.web.admin.guard import current_store_id, runtime

bp = Blueprint("shopify", __name__, url_prefix="/shopify")
cards.add(
    "Shopify",
    "admin_connections.shopify.index",
    provider="shopify",
    description="Orders, refunds and fulfilments from a shop, subscribed through its Admin API.",
    position=30,
)

FIELD_LIMIT = 1024
DOMAIN_LIMIT = 300


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    return platform_page.render(shopify.PROVIDER, shopify.topics(), status, **shown)


@bp.get("")
def index() -> tuple[str, int]:
    return _page(manual=request.args.get("by_hand") == "1")


@bp.post("/connect")
def connect() -> ResponseReturnValue:
    rt, store_id = runtime(), current_store_id()
    domain = request.form.get("shop", "")[:DOMAIN_LIMIT]
    try:
        with platform_client(rt) as client:
            shopify.connect(
                rt.engine,
                rt.vault,
                client,
                store_id=store_id,
                domain=domain,
                access_token=request.form.get("access_token", "")[:FIELD_LIMIT],
                api_secret=request.form.get("api_secret", "")[:FIELD_LIMIT],
                public_url=rt.settings.public_url,
                api_base=rt.settings.shopify_api_base,
            )
    except (PlatformConnectionError, InvalidSecret) as refused:
        return _page(422, error=f"Not connected: {refused}.", shop=domain)
    except ProviderError as failed:
        return _page(502, error=f"Not connected: {failed}.", shop=domain, manual=True)
    flash(
        "Connected to Shopify: the shop now sends this store's webhooks, signed with the app's "
        "secret, and the endpoint accepts only this shop's deliveries."
    )
    return redirect(url_for(".index"), code=303)


@bp.post("/signing-key")
def signing_key() -> ResponseReturnValue:
    """For webhooks made by hand: the key Shopify shows under them, and the shop."""
    rt = runtime()
    domain = request.form.get("shop", "")[:DOMAIN_LIMIT]
    try:
        shopify.use_signing_key(
            rt.engine,
            rt.vault,
            store_id=current_store_id(),
            domain=domain,
            key=request.form.get("signing_key", "")[:FIELD_LIMIT],
        )
    except (PlatformConnectionError, InvalidSecret) as refused:
        return _page(422, error=f"Not saved: {refused}.", shop=domain, manual=True)
    flash("Saved: deliveries signed with that key, for that shop only, are accepted.")
    return redirect(url_for(".index"), code=303)


@bp.post("/disconnect")
def disconnect() -> ResponseReturnValue:
    rt = runtime()
    try:
        with platform_client(rt) as client:
            deleted = shopify.disconnect(
                rt.engine,
                rt.vault,
                client,
                store_id=current_store_id(),
                api_base=rt.settings.shopify_api_base,
            )
    except (PlatformConnectionError, ProviderError) as refused:
        status = 502 if isinstance(refused, ProviderError) else 422
        return _page(status, error=f"Not disconnected: {refused}.")
    flash(f"Disconnected from Shopify: {deleted} subscription(s) deleted; the token is forgotten.")
    return redirect(url_for(".index"), code=303)


@bp.post("/forget")
def forget() -> ResponseReturnValue:
    """Forget the token when the shop is gone: its subscriptions, if any, stay there."""
    platforms.forget(runtime().engine, store_id=current_store_id(), provider=shopify.PROVIDER)
    flash("The Shopify token is forgotten; delete shopsync's webhooks in the shop by hand.")
    return redirect(url_for(".index"), code=303)
