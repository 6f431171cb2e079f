"""Connections: the store's accounts at Stripe, WooCommerce, Shopify and Mailchimp, one
page each.

The section's own page lists every provider's card; each provider's page is a blueprint
nested under this one (`admin_connections.<provider>`), so the sign-in guard, the page
headers and the header's "Connections" tab cover it. A provider page is added by a
module here with its blueprint and a `cards.add` line, listed in PROVIDER_PAGES.
"""

from __future__ import annotations

from flask import render_template

from shopsync.admin.connections import overview
from shopsync.web.admin import nav
from shopsync.web.admin.connections import cards, mailchimp, shopify, stripe, woocommerce
from shopsync.web.admin.guard import admin_blueprint, current_store_id, runtime

bp = admin_blueprint("admin_connections", __name__, "/connections")
nav.add("Connections", "admin_connections.index", position=45)

PROVIDER_PAGES = (stripe, woocommerce, shopify, mailchimp)
for page in PROVIDER_PAGES:
    bp.register_blueprint(page.bp)


@bp.get("")
def index() -> str:
    found = overview(runtime(), store_id=current_store_id())
    return render_template("admin/connections/index.html", cards=cards.all_cards(), found=found)
