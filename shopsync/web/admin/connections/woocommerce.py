"""WooCommerce: shopsync creates its order webhooks at the site from a REST API key pair.

When the site cannot be reached or refuses the keys, the answer shows what to paste
into WooCommerce by hand: the delivery URL and the signing secret (in the answer to
that POST only, as on the subscribers page), with copy buttons. The same details are
shown on request after the password is entered again.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from shopsync.admin.connections import platform_client
from shopsync.admin.users import authenticate
from shopsync.connections import platforms, woocommerce
from shopsync.connections.platforms import PlatformConnectionError
from shopsync.errors import ProviderError
from shopsync.web.admin.connections import cards, platform_page
from shopsync.web.admin.guard import current_store_id, runtime, signed_in
from shopsync.web.extensions import limiter

bp = Blueprint("woocommerce", __name__, url_prefix="/woocommerce")
cards.add(
    "WooCommerce",
    "admin_connections.woocommerce.index",
    provider="woocommerce",
    description="Orders from a WordPress shop: shopsync creates its webhooks there.",
    position=20,
)

FIELD_LIMIT = 1024
# The site's URL is kept to fill the form again; keys are never put back in a page.
SITE_LIMIT = 300


def _page(status: int = 200, **shown: object) -> tuple[str, int]:
    return platform_page.render(woocommerce.PROVIDER, woocommerce.topics(), status, **shown)


@bp.get("")
def index() -> tuple[str, int]:
    return _page()


@bp.post("/connect")
def connect() -> ResponseReturnValue:
    rt, store_id = runtime(), current_store_id()
    site = request.form.get("site", "")[:SITE_LIMIT]
    try:
        with platform_client(rt) as client:
            woocommerce.connect(
                rt.engine,
                rt.vault,
                client,
                store_id=store_id,
                site=site,
                consumer_key=request.form.get("consumer_key", "")[:FIELD_LIMIT],
                consumer_secret=request.form.get("consumer_secret", "")[:FIELD_LIMIT],
                public_url=rt.settings.public_url,
            )
    except PlatformConnectionError as refused:
        return _page(422, error=f"Not connected: {refused}.", site=site)
    except ProviderError as failed:
        return _page(502, error=f"Not connected: {failed}.", site=site, manual=True)
    flash("Connected to WooCommerce: the site now sends this store's order webhooks.")
    return redirect(url_for(".index"), code=303)


@bp.post("/by-hand")
@limiter.limit("10 per hour", methods=["POST"])
def by_hand() -> tuple[str, int]:
    """The URL and secret to paste into WooCommerce, for a user who re-entered the password."""
    rt = runtime()
    password = request.form.get("password", "")[:FIELD_LIMIT]
    if authenticate(rt.engine, email=signed_in().email, password=password) is None:
        return _page(403, error="That password is not right.")
    return _page(manual=True)


@bp.post("/disconnect")
def disconnect() -> ResponseReturnValue:
    rt = runtime()
    try:
        with platform_client(rt) as client:
            deleted = woocommerce.disconnect(
                rt.engine, rt.vault, client, store_id=current_store_id()
            )
    except (PlatformConnectionError, ProviderError) as refused:
        return _page(
            502 if isinstance(refused, ProviderError) else 422,
            error=f"Not disconnected: {refused}.",
        )
    flash(
        f"Disconnected from WooCommerce: {deleted} webhook(s) deleted at the site; "
        "the keys are forgotten."
    )
    return redirect(url_for(".index"), code=303)


@bp.post("/forget")
def forget() -> ResponseReturnValue:
    """Forget the keys when the site is gone: its webhooks, if any, stay there."""
    platforms.forget(runtime().engine, store_id=current_store_id(), provider=woocommerce.PROVIDER)
    flash("The WooCommerce keys are forgotten; delete shopsync's webhooks at the site by hand.")
    return redirect(url_for(".index"), code=303)
