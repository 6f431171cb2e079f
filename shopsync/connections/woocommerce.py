"""Connecting a WooCommerce site: shopsync creates its order webhooks there.

`connect` takes the site's URL and a REST API key pair (WooCommerce > Settings >
Advanced > REST API, Read/Write), lists the site's webhooks, and for each order topic
shopsync handles (order.created, order.updated, order.deleted, order.restored) creates
one — delivery URL the store's WooCommerce endpoint, secret that endpoint's signing
secret, status active — or brings back the one an earlier connect made (same delivery
URL and topic), so connecting again never doubles them. Only when every webhook is in
place are the site and the keys kept (encrypted). `disconnect` deletes those webhooks
at the site and forgets the keys.

The key pair travels as HTTP Basic credentials, which WooCommerce accepts only over
https (production allows nothing else).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Engine

from shopsync.connections import platforms
from shopsync.connections.platform_http import PlatformClient, PlatformRejected
from shopsync.connections.platforms import PlatformConnectionError, PlatformStatus
from shopsync.crypto import Vault
from shopsync.errors import ProviderError
from shopsync.outbox.http import check_url
from shopsync.pipeline.registry import registry

PROVIDER = "woocommerce"
API_PATH = "/wp-json/wc/v3/webhooks"
KEY_PREFIXES = {"consumer_key": "ck_", "consumer_secret": "cs_"}
MIN_KEY_LENGTH = 20
SITE_LIMIT = 255
NOT_FOUND = 404


def topics() -> list[str]:
    """The order topics shopsync handles: one webhook each."""
    return sorted(registry.providers[PROVIDER].event_types)


@dataclass(frozen=True)
class Site:
    """Where a WooCommerce site's REST API is and how to reach it."""

    url: str
    consumer_key: str
    consumer_secret: str

    def auth(self) -> dict[str, str]:
        pair = f"{self.consumer_key}:{self.consumer_secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def api(self, suffix: str = "") -> str:
        return self.url + API_PATH + suffix


def site_url(text: str, client: PlatformClient) -> str:
    """The site's address as WooCommerce serves it: scheme, host, any sub-folder."""
    value = text.strip()
    if "://" not in value:
        value = "https://" + value
    problem = check_url(value, client.policy)
    parts = urlsplit(value)
    if problem is not None or len(value) > SITE_LIMIT:
        raise PlatformConnectionError(problem or "the site URL is too long")
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def check_keys(consumer_key: str, consumer_secret: str) -> None:
    for name, value in (("consumer_key", consumer_key), ("consumer_secret", consumer_secret)):
        prefix = KEY_PREFIXES[name]
        if not value.startswith(prefix) or len(value) < MIN_KEY_LENGTH:
            raise PlatformConnectionError(f"a {name.replace('_', ' ')} starts with {prefix}")
        if any(character.isspace() for character in value):
            raise PlatformConnectionError(f"the {name.replace('_', ' ')} has a space in it")


def connect(
    engine: Engine,
    vault: Vault,
    client: PlatformClient,
    *,
    store_id: int,
    site: str,
    consumer_key: str,
    consumer_secret: str,
    public_url: str,
) -> PlatformStatus:
    """Create (or bring back) the order webhooks at the site, then keep the keys.

    Raises PlatformConnectionError for input that cannot work, ProviderError when the
    site cannot be reached or refuses (nothing is kept then).
    """
    check_keys(consumer_key.strip(), consumer_secret.strip())
    where = Site(site_url(site, client), consumer_key.strip(), consumer_secret.strip())
    endpoint = platforms.endpoint_details(
        engine, vault, store_id=store_id, provider=PROVIDER, public_url=public_url
    )
    existing = _ours(_list(client, where), endpoint.url)
    made = {topic: _put(client, where, topic, endpoint, existing.get(topic)) for topic in topics()}
    platforms.save(
        engine,
        vault,
        store_id=store_id,
        provider=PROVIDER,
        site=where.url,
        credentials={"consumer_key": where.consumer_key, "consumer_secret": where.consumer_secret},
        webhooks=made,
    )
    return platforms.status_of(engine, vault, store_id=store_id, provider=PROVIDER)


def disconnect(engine: Engine, vault: Vault, client: PlatformClient, *, store_id: int) -> int:
    """Delete shopsync's webhooks at the site and forget the keys; how many were deleted."""
    row = platforms.stored(engine, vault, store_id=store_id, provider=PROVIDER)
    keys = platforms.credentials_of(vault, row)
    where = Site(row.site, keys["consumer_key"], keys["consumer_secret"])
    deleted = sum(_delete(client, where, webhook_id) for _, webhook_id in _webhooks(row.webhooks))
    platforms.forget(engine, store_id=store_id, provider=PROVIDER)
    return deleted


def remote_statuses(
    engine: Engine, vault: Vault, client: PlatformClient, *, store_id: int
) -> dict[str, str]:
    """Each of shopsync's webhooks as the site has it now (active, paused, disabled, gone)."""
    row = platforms.stored(engine, vault, store_id=store_id, provider=PROVIDER)
    keys = platforms.credentials_of(vault, row)
    listed = {
        str(hook.get("id")): str(hook.get("status"))
        for hook in _list(client, Site(row.site, keys["consumer_key"], keys["consumer_secret"]))
    }
    return {topic: listed.get(webhook_id, "gone") for topic, webhook_id in _webhooks(row.webhooks)}


def _list(client: PlatformClient, site: Site) -> list[dict[str, Any]]:
    answer = client.call("GET", site.api("?per_page=100"), headers=site.auth())
    if not isinstance(answer.body, list):
        raise ProviderError("the site's answer is not a list of webhooks (is it WooCommerce?)")
    return [hook for hook in answer.body if isinstance(hook, dict)]


def _ours(hooks: list[dict[str, Any]], url: str) -> dict[str, str]:
    """shopsync's webhooks already at the site, by topic (same delivery URL)."""
    return {
        str(hook.get("topic")): str(hook.get("id"))
        for hook in hooks
        if hook.get("delivery_url") == url and hook.get("id") is not None
    }


def _put(
    client: PlatformClient,
    site: Site,
    topic: str,
    endpoint: platforms.EndpointDetails,
    existing: str | None,
) -> str:
    """Create the topic's webhook, or set an existing one's secret and status; its id."""
    body = {"secret": endpoint.secret, "status": "active"}
    if existing is not None:
        client.call("PUT", site.api(f"/{existing}"), headers=site.auth(), body=body)
        return existing
    body |= {"name": f"shopsync {topic}", "topic": topic, "delivery_url": endpoint.url}
    answer = client.call("POST", site.api(), headers=site.auth(), body=body)
    webhook_id = answer.body.get("id") if isinstance(answer.body, dict) else None
    if webhook_id is None:
        raise ProviderError("the site created a webhook without saying its id")
    return str(webhook_id)


def _delete(client: PlatformClient, site: Site, webhook_id: str) -> bool:
    try:
        client.call("DELETE", site.api(f"/{webhook_id}?force=true"), headers=site.auth())
    except PlatformRejected as error:
        if error.status == NOT_FOUND:
            return False
        raise
    return True


def _webhooks(stored: str) -> list[tuple[str, str]]:
    return sorted(json.loads(stored).items())
