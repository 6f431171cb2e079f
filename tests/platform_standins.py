"""Local stand-ins for a WooCommerce site's REST API and Shopify's Admin GraphQL API.

Each checks its credentials the way the real one does (WooCommerce: HTTP Basic with the
consumer key and secret; Shopify: `X-Shopify-Access-Token`), keeps the webhooks made
through it, and answers in the shapes the real APIs document.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.api_standin import ApiCall, JsonStandIn

WC_PATH = "/wp-json/wc/v3/webhooks"
WC_KEY = "ck_" + "4f1e" * 10
WC_SECRET = "cs_" + "9b2d" * 10
SHOP = "juniper-co.myshopify.com"
SHOPIFY_TOKEN = "shpat_" + "5e" * 16
SHOPIFY_APP_SECRET = "shpss_" + "a7" * 16


@dataclass
class WooCommerceSite(JsonStandIn):
    consumer_key: str = WC_KEY
    consumer_secret: str = WC_SECRET
    webhooks: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(101))

    @property
    def url(self) -> str:
        return self.base

    def route(self, call: ApiCall) -> tuple[int, Any]:
        expected = base64.b64encode(f"{self.consumer_key}:{self.consumer_secret}".encode())
        if call.headers.get("authorization") != "Basic " + expected.decode():
            return 401, {
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot list resources.",
            }
        if not call.path.startswith(WC_PATH):
            return 404, {"code": "rest_no_route", "message": "No route was found."}
        rest = call.path.removeprefix(WC_PATH).strip("/")
        if call.method == "GET" and not rest:
            return 200, list(self.webhooks.values())
        if call.method == "POST" and not rest:
            return 201, self._create(call.body)
        hook = self.webhooks.get(int(rest)) if rest.isdigit() else None
        if hook is None:
            return 404, {"code": "woocommerce_rest_webhook_invalid_id", "message": "Invalid ID."}
        if call.method == "PUT":
            hook.update(call.body)
            return 200, hook
        if call.method == "DELETE":
            return 200, self.webhooks.pop(hook["id"])
        return 405, {}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        webhook_id = next(self._ids)
        hook = {
            "id": webhook_id,
            "name": body.get("name"),
            "status": body.get("status", "active"),
            "topic": body["topic"],
            "resource": body["topic"].split(".")[0],
            "event": body["topic"].split(".")[1],
            "delivery_url": body["delivery_url"],
            "secret": body.get("secret", ""),
        }
        self.webhooks[webhook_id] = hook
        return hook


@dataclass
class ShopifyAdmin(JsonStandIn):
    shop: str = SHOP
    token: str = SHOPIFY_TOKEN
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(7001))

    def route(self, call: ApiCall) -> tuple[int, Any]:
        if call.headers.get("x-shopify-access-token") != self.token:
            return 401, {"errors": "[API] Invalid API key or access token"}
        if call.method != "POST" or not call.path.endswith("/graphql.json"):
            return 404, {"errors": "Not Found"}
        query, variables = call.body["query"], call.body.get("variables") or {}
        if "webhookSubscriptionCreate" in query:
            return 200, {"data": {"webhookSubscriptionCreate": self._create(variables)}}
        if "webhookSubscriptionDelete" in query:
            gone = self.subscriptions.pop(variables["id"], None)
            deleted: dict[str, Any] = {
                "deletedWebhookSubscriptionId": gone and gone["id"],
                "userErrors": [],
            }
            return 200, {"data": {"webhookSubscriptionDelete": deleted}}
        nodes = list(self.subscriptions.values())
        data = {"shop": {"myshopifyDomain": self.shop}, "webhookSubscriptions": {"nodes": nodes}}
        return 200, {"data": data}

    def _create(self, variables: dict[str, Any]) -> dict[str, Any]:
        taken = any(
            s["topic"] == variables["topic"] and s["uri"] == variables["uri"]
            for s in self.subscriptions.values()
        )
        if taken:
            error = {
                "field": ["webhookSubscription", "callbackUrl"],
                "message": "Address for this topic has already been taken",
            }
            return {"webhookSubscription": None, "userErrors": [error]}
        gid = f"gid://shopify/WebhookSubscription/{next(self._ids)}"
        created = {"id": gid, "topic": variables["topic"], "uri": variables["uri"]}
        self.subscriptions[gid] = created
        return {"webhookSubscription": created, "userErrors": []}


@contextmanager
def running_woocommerce() -> Iterator[WooCommerceSite]:
    site = WooCommerceSite()
    site.start()
    try:
        yield site
    finally:
        site.stop()


@contextmanager
def running_shopify() -> Iterator[ShopifyAdmin]:
    admin = ShopifyAdmin()
    admin.start()
    try:
        yield admin
    finally:
        admin.stop()
