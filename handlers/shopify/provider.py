"""How Shopify deliveries are verified and read.

Shopify signs the raw body (base64 HMAC-SHA256, `X-Shopify-Hmac-Sha256`) and names
everything else in headers: the topic, the event id, when it was triggered. The body
is the bare REST resource (an order, a fulfillment, a refund).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from werkzeug.datastructures import Headers

from handlers.shopify import samples
from shopsync.clock import from_timestamp, parse_iso8601
from shopsync.errors import InvalidPayload, InvalidSignature
from shopsync.pipeline.payloads import decode_utf8, parse_json_object
from shopsync.pipeline.registry import (
    Delivery,
    EventContext,
    IncomingRequest,
    Provider,
    plain_secret_problem,
    registry,
)
from shopsync.pipeline.screening import ignore_test_event
from shopsync.pipeline.signatures import hmac_sha256_base64, require_matching_signature

NAME = "shopify"
SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_ID_HEADER = "X-Shopify-Event-Id"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
API_VERSION = "2025-10"
MIN_SHOPIFY_SECRET_LENGTH = 32

EVENT_TYPES = frozenset(
    {
        "orders/create",
        "orders/paid",
        "orders/updated",
        "orders/cancelled",
        "orders/fulfilled",
        "refunds/create",
        "fulfillments/create",
        "fulfillments/update",
    }
)


def verify(incoming: IncomingRequest, secrets_: Sequence[str], now: float) -> Delivery:
    """Check the HMAC on the raw bytes against every accepted secret, then parse."""
    signature = incoming.headers.get(SIGNATURE_HEADER, "").strip()
    if not signature:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    require_matching_signature(signature, secrets_, lambda s: digest(incoming.body, s))
    text = decode_utf8(incoming.body)
    parse_json_object(text)
    topic, event_id = _required(incoming.headers, TOPIC_HEADER), _event_id(incoming.headers)
    return Delivery(
        # Scoped by topic: should one change in the shop notify several topics under one
        # event id (orders/paid and orders/updated, say), they must stay separate rows.
        event_id=f"{topic}:{event_id}"[:255],
        event_type=topic[:120],
        occurred_at=parse_iso8601(incoming.headers.get(TRIGGERED_AT_HEADER, "").strip())
        or from_timestamp(now),
        payload_text=text,
    )


def digest(body: bytes, secret: str) -> bytes:
    """The header value Shopify sends for `body`: base64 of HMAC-SHA256 with the secret."""
    return hmac_sha256_base64(body, secret)


def _required(headers: Headers, name: str) -> str:
    value = headers.get(name, "").strip()
    if not value:
        raise InvalidPayload(f"missing {name} header")
    return value


def _event_id(headers: Headers) -> str:
    # Older deliveries carry only the webhook id, which is also stable across retries.
    value = headers.get(EVENT_ID_HEADER, "").strip() or headers.get(WEBHOOK_ID_HEADER, "").strip()
    if not value:
        raise InvalidPayload(f"missing {EVENT_ID_HEADER} header")
    return value


def screen(ctx: EventContext) -> None:
    """Orders placed through Shopify's test gateway never touch a live store's orders."""
    if ctx.store.livemode and ctx.payload.get("test") is True:
        ignore_test_event(ctx.store, NAME, "test order on a live store")


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """The headers Shopify sends with `body` as topic `event_type` (only the body is signed)."""
    return {
        SIGNATURE_HEADER: digest(body, secret).decode(),
        TOPIC_HEADER: event_type,
        EVENT_ID_HEADER: event_id,
        WEBHOOK_ID_HEADER: str(uuid.uuid5(uuid.NAMESPACE_URL, event_id)),
        TRIGGERED_AT_HEADER: from_timestamp(timestamp).isoformat().replace("+00:00", "Z"),
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
        description="Shopify orders, payments, refunds and fulfillments",
        signing_setup=(
            "Shopify issues the signing key itself (your app's secret, or the key shown under "
            "Settings > Notifications > Webhooks): give it with "
            "`shopsync store set-secrets {store_id} shopify KEY` (this one is for "
            "`shopsync simulate`)"
        ),
    )
)
