"""Connecting a Shopify shop: webhook subscriptions made through the Admin API.

`connect` takes the shop's myshopify.com domain, an Admin API access token (a custom
app's, or an app's offline token) and the app's API secret (its client secret). It
checks the secret's shape first, asks the Admin API (GraphQL, `SHOPIFY_API_VERSION`)
which shop the token belongs to and which subscriptions exist, then creates a
`webhookSubscriptionCreate` (JSON, to the store's Shopify endpoint URL) for every topic
shopsync handles that is not there yet. Shopify signs those deliveries with the app's
secret, so only then does it become the endpoint's signing secret (through
`stores.provisioning.set_secrets`, which enforces the secret rules), the endpoint is
pinned to the shop (`stores.accounts`, as `shopsync store set-account` does), and the
token and secret are kept encrypted.

The privacy topics (customers/redact, customers/data_request, shop/redact) cannot be
subscribed through the API: an app declares them in its configuration.

Webhooks made by hand in the Shopify admin (Settings > Notifications) are signed with
the key shown on that page instead: `use_signing_key` sets that one and pins the shop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from shopsync.connections import platforms
from shopsync.connections.platform_http import PlatformClient
from shopsync.connections.platforms import PlatformConnectionError, PlatformStatus
from shopsync.crypto import Vault
from shopsync.errors import ProviderError
from shopsync.pipeline.registry import registry
from shopsync.stores.accounts import set_account_ref
from shopsync.stores.provisioning import check_secrets, set_secrets

PROVIDER = "shopify"
SHOPIFY_API_VERSION = "2025-10"
PRIVACY_TOPICS = frozenset({"customers/redact", "customers/data_request", "shop/redact"})
SHOP_SUFFIX = ".myshopify.com"
ERROR_LIMIT = 200

SHOP_AND_SUBSCRIPTIONS = """
query ShopsyncSubscriptions {
  shop { myshopifyDomain }
  webhookSubscriptions(first: 100) { nodes { id topic uri } }
}
"""
CREATE = """
mutation ShopsyncSubscribe($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri, format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""
DELETE = """
mutation ShopsyncUnsubscribe($id: ID!) {
  webhookSubscriptionDelete(id: $id) {
    deletedWebhookSubscriptionId
    userErrors { field message }
  }
}
"""


def topics() -> list[str]:
    """Every topic shopsync handles that an app can subscribe to through the API."""
    return sorted(registry.providers[PROVIDER].event_types - PRIVACY_TOPICS)


def topic_enum(topic: str) -> str:
    """`orders/create` as GraphQL names it: `ORDERS_CREATE`."""
    return topic.replace("/", "_").upper()


def shop_domain(text: str) -> str:
    normalize = registry.providers[PROVIDER].normalize_account
    assert normalize is not None
    try:
        domain = normalize(text.strip().removeprefix("https://").rstrip("/"))
    except ValueError as error:
        raise PlatformConnectionError(str(error)) from None
    if not domain.endswith(SHOP_SUFFIX):
        raise PlatformConnectionError("the shop's domain ends in .myshopify.com")
    return domain


@dataclass(frozen=True)
class Shop:
    """One shop's Admin API: where it is and the token that opens it."""

    domain: str
    token: str
    # Where Admin APIs are (None: the shop's own https://<domain>); tests point it here.
    api_base: str | None = None

    def graphql(self, client: PlatformClient, query: str, **variables: str) -> dict[str, Any]:
        url = f"{self.api_base or 'https://' + self.domain}/admin/api/{SHOPIFY_API_VERSION}"
        answer = client.call(
            "POST",
            url + "/graphql.json",
            headers={"X-Shopify-Access-Token": self.token},
            body={"query": query, "variables": variables},
        )
        body = answer.body if isinstance(answer.body, dict) else {}
        if body.get("errors"):
            raise ProviderError(f"Shopify refused the request ({_error_codes(body['errors'])})")
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProviderError("Shopify's answer has no data")
        return data


def connect(
    engine: Engine,
    vault: Vault,
    client: PlatformClient,
    *,
    store_id: int,
    domain: str,
    access_token: str,
    api_secret: str,
    public_url: str,
    api_base: str | None,
) -> PlatformStatus:
    """Subscribe the shop's webhooks, then use the app's secret and pin the shop.

    Raises PlatformConnectionError or InvalidSecret for input that cannot work, and
    ProviderError when Shopify cannot be reached or refuses (nothing is kept then).
    """
    shop = Shop(shop_domain(domain), access_token.strip(), api_base)
    secret = api_secret.strip()
    check_secrets(registry.providers[PROVIDER], [secret])
    if not shop.token or any(c.isspace() for c in shop.token):
        raise PlatformConnectionError("the access token is empty or has a space in it")
    url = platforms.endpoint_details(
        engine, vault, store_id=store_id, provider=PROVIDER, public_url=public_url
    ).url
    data = shop.graphql(client, SHOP_AND_SUBSCRIPTIONS)
    _check_shop(data, shop.domain)
    existing = _ours(data, url)
    made = {
        topic: existing.get(topic) or _subscribe(client, shop, topic, url) for topic in topics()
    }
    use_signing_key(engine, vault, store_id=store_id, domain=shop.domain, key=secret)
    platforms.save(
        engine,
        vault,
        store_id=store_id,
        provider=PROVIDER,
        site=shop.domain,
        credentials={"access_token": shop.token, "api_secret": secret},
        webhooks=made,
    )
    return platforms.status_of(engine, vault, store_id=store_id, provider=PROVIDER)


def use_signing_key(engine: Engine, vault: Vault, *, store_id: int, domain: str, key: str) -> None:
    """Accept deliveries signed with this key, for this shop only (also for webhooks made
    by hand). Raises InvalidSecret or PlatformConnectionError, changing nothing."""
    pinned = shop_domain(domain)
    set_secrets(engine, vault, store_id=store_id, provider=PROVIDER, secrets=[key.strip()])
    set_account_ref(engine, registry, store_id=store_id, provider=PROVIDER, value=pinned)


def disconnect(
    engine: Engine, vault: Vault, client: PlatformClient, *, store_id: int, api_base: str | None
) -> int:
    """Delete shopsync's subscriptions at Shopify and forget the token; how many went."""
    row = platforms.stored(engine, vault, store_id=store_id, provider=PROVIDER)
    shop = Shop(row.site, platforms.credentials_of(vault, row)["access_token"], api_base)
    deleted = 0
    for subscription_id in json.loads(row.webhooks).values():
        data = shop.graphql(client, DELETE, id=subscription_id)
        answer = data.get("webhookSubscriptionDelete") or {}
        deleted += bool(answer.get("deletedWebhookSubscriptionId"))
    platforms.forget(engine, store_id=store_id, provider=PROVIDER)
    return deleted


def remote_statuses(
    engine: Engine, vault: Vault, client: PlatformClient, *, store_id: int, api_base: str | None
) -> dict[str, str]:
    """Each of shopsync's subscriptions as Shopify has it now (active, or gone)."""
    row = platforms.stored(engine, vault, store_id=store_id, provider=PROVIDER)
    shop = Shop(row.site, platforms.credentials_of(vault, row)["access_token"], api_base)
    listed = shop.graphql(client, SHOP_AND_SUBSCRIPTIONS).get("webhookSubscriptions") or {}
    ids = {str(node.get("id")) for node in listed.get("nodes") or [] if isinstance(node, dict)}
    return {
        topic: "active" if subscription_id in ids else "gone"
        for topic, subscription_id in sorted(json.loads(row.webhooks).items())
    }


def _check_shop(data: dict[str, Any], domain: str) -> None:
    shop = data.get("shop")
    if not isinstance(shop, dict) or shop.get("myshopifyDomain") != domain:
        raise PlatformConnectionError(f"this access token is for another shop than {domain}")


def _ours(data: dict[str, Any], url: str) -> dict[str, str]:
    """Subscriptions to the endpoint's URL already there, by topic (`orders/create`)."""
    listed = (data.get("webhookSubscriptions") or {}).get("nodes") or []
    topic_of = {topic_enum(topic): topic for topic in topics()}
    return {
        topic_of[str(node.get("topic"))]: str(node["id"])
        for node in listed
        if isinstance(node, dict)
        and node.get("uri") == url
        and node.get("id")
        and str(node.get("topic")) in topic_of
    }


def _subscribe(client: PlatformClient, shop: Shop, topic: str, url: str) -> str:
    data = shop.graphql(client, CREATE, topic=topic_enum(topic), uri=url)
    created = data.get("webhookSubscriptionCreate") or {}
    errors = created.get("userErrors") or []
    subscription = created.get("webhookSubscription") or {}
    if errors or not subscription.get("id"):
        messages = "; ".join(str(e.get("message", ""))[:ERROR_LIMIT] for e in errors)
        raise ProviderError(f"Shopify did not subscribe {topic}: {messages or 'no id'}")
    return str(subscription["id"])


def _error_codes(errors: object) -> str:
    """GraphQL error codes (ACCESS_DENIED, THROTTLED), never their messages."""
    if not isinstance(errors, list):
        return "error"
    entries = [e for e in errors if isinstance(e, dict)]
    codes = {str((e.get("extensions") or {}).get("code", "error")) for e in entries}
    return ", ".join(sorted(codes))[:ERROR_LIMIT]
