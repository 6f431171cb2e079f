"""How Shopify deliveries are verified and recorded.

Shopify signs the raw body and nothing else (base64 HMAC-SHA256 in
`X-Shopify-Hmac-Sha256`; newer deliveries name every header without the `X-` prefix,
and those win when both are sent, as in Shopify's own libraries). The topic, event id,
shop domain and trigger time are unsigned headers, so:

- the topic only routes: it names the kind of resource (handlers.shopify.kinds) whose
  reader then checks the body and applies what the body says;
- the dedupe key comes from the body: the topic's family, the resource's id and own
  time, and a digest of the bytes (event ids are not used at all);
- when it happened comes from the body (`updated_at`, `processed_at`, ...), else the
  time of receipt, never `X-Shopify-Triggered-At`;
- the shop domain must be the one the endpoint is pinned to (handlers.shopify.shops).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from werkzeug.datastructures import Headers

from handlers.readers import event_time, snapshot_key
from handlers.shopify import samples
from handlers.shopify.kinds import EVENT_TYPES, KIND_OF_TOPIC, PRIVACY_KINDS, Kind
from handlers.shopify.shops import check_shop, normalize_shop_domain
from shopsync.clock import from_timestamp
from shopsync.errors import InvalidPayload, InvalidSignature
from shopsync.models import WebhookEvent
from shopsync.models.limits import column_limit
from shopsync.pipeline.payloads import decode_utf8, parse_json_object
from shopsync.pipeline.registry import (
    Delivery,
    EndpointSetup,
    EventContext,
    IncomingRequest,
    Provider,
    plain_secret_problem,
    registry,
)
from shopsync.pipeline.screening import ignore_test_event
from shopsync.pipeline.signatures import hmac_sha256_base64, require_matching_signature

NAME = "shopify"
# Header names without their prefix: `shopify-topic` (newer) or `X-Shopify-Topic`.
PREFIXES = ("shopify-", "x-shopify-")
SIGNATURE = "hmac-sha256"
TOPIC = "topic"
SHOP_DOMAIN = "shop-domain"
API_VERSION = "2025-10"
MIN_SHOPIFY_SECRET_LENGTH = 32


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery:
    """Check the HMAC on the raw bytes against every accepted secret, then read the body."""
    signature = header(incoming.headers, SIGNATURE)
    if not signature:
        raise InvalidSignature("missing X-Shopify-Hmac-Sha256 header")
    require_matching_signature(signature, endpoint.secrets, lambda s: digest(incoming.body, s))
    text = decode_utf8(incoming.body)
    payload = parse_json_object(text)
    topic = header(incoming.headers, TOPIC)
    if not topic:
        raise InvalidPayload("missing X-Shopify-Topic header")
    kind = KIND_OF_TOPIC.get(topic)
    shops = [header(incoming.headers, SHOP_DOMAIN) or None]
    if kind in PRIVACY_KINDS:  # these name their shop in the signed body too
        shops.append(_shop_domain_in(payload))
    check_shop(endpoint, shops)
    return _delivery(topic, kind, payload, body=incoming.body, text=text, now=now)


def _delivery(
    topic: str, kind: Kind | None, payload: dict[str, Any], *, body: bytes, text: str, now: float
) -> Delivery:
    """Keyed and dated by the body; a topic of no known kind is keyed by topic and id."""
    resource = kind.resource(payload) if kind else payload
    family, resource_id, fields = (
        (kind.family, kind.resource_id(resource), kind.time_fields)
        if kind
        else (topic, payload.get("id"), ())
    )
    moments = [resource.get(name) for name in fields]
    return Delivery(
        event_id=snapshot_key(family, resource_id, next(filter(None, moments), None), body),
        event_type=topic[: column_limit(WebhookEvent, "event_type")],
        occurred_at=_first_time(moments, now) or from_timestamp(now),
        payload_text=text,
    )


def header(headers: Headers, name: str) -> str:
    """A Shopify header by its unprefixed name, newer `shopify-` form first."""
    for prefix in PREFIXES:
        value = headers.get(prefix + name, "").strip()
        if value:
            return value
    return ""


def digest(body: bytes, secret: str) -> bytes:
    """The header value Shopify sends for `body`: base64 of HMAC-SHA256 with the secret."""
    return hmac_sha256_base64(body, secret)


def _shop_domain_in(payload: dict[str, Any]) -> str | None:
    domain = payload.get("shop_domain")
    return domain if isinstance(domain, str) else None


def _first_time(moments: list[object], now: float) -> datetime | None:
    clock = from_timestamp(now)
    times = (event_time(moment, now=clock) for moment in moments)
    return next((when for when in times if when is not None), None)


def screen(ctx: EventContext) -> None:
    """Orders placed through Shopify's test gateway never touch a live store's orders."""
    if ctx.store.livemode and ctx.payload.get("test") is True:
        ignore_test_event(ctx.store, NAME, "test order on a live store")


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """The headers Shopify sends with `body` as topic `event_type` (only the body is signed)."""
    return {
        "X-Shopify-Hmac-Sha256": digest(body, secret).decode(),
        "X-Shopify-Topic": event_type,
        "X-Shopify-Event-Id": event_id,
        "X-Shopify-Webhook-Id": str(uuid.uuid5(uuid.NAMESPACE_URL, event_id)),
        "X-Shopify-Triggered-At": from_timestamp(timestamp).isoformat().replace("+00:00", "Z"),
        "X-Shopify-Shop-Domain": samples.SHOP_DOMAIN,
        "X-Shopify-API-Version": API_VERSION,
        "Content-Type": "application/json",
    }


def new_secret() -> str:
    """A placeholder: Shopify issues the signing key, which the owner gives shopsync."""
    return secrets.token_hex(32)


def check_secret(secret: str) -> str | None:
    """Shopify's keys are 32+ characters (app secrets `shpss_…`, store keys 64 hex)."""
    return plain_secret_problem(secret, min_length=MIN_SHOPIFY_SECRET_LENGTH)


PROVIDER = registry.add_provider(
    Provider(
        name=NAME,
        event_types=EVENT_TYPES,
        verify=verify,
        new_secret=new_secret,
        sign=sign,
        check_secret=check_secret,
        screen=screen,
        sample=samples.sample,
        prelude=samples.prelude,
        description="Shopify orders, payments, refunds, fulfillments and privacy requests",
        normalize_account=normalize_shop_domain,
        signing_setup=(
            "Shopify issues the signing key itself (your app's secret, or the key shown under "
            "Settings > Notifications > Webhooks): give it with "
            "`shopsync store set-secrets {store_id} shopify KEY` (this one is for "
            "`shopsync simulate`)"
        ),
    )
)
