"""How WooCommerce deliveries are verified and read.

WooCommerce signs the raw body (base64 HMAC-SHA256, `X-WC-Webhook-Signature`) and
names the topic in `X-WC-Webhook-Topic`, which is not signed; the body is the REST
API's order resource (only `{"id": ...}` for order.deleted). So the topic only routes,
and what happens comes from the body: its `status`, and for a deletion its shape. When
a webhook is saved it first sends an unsigned ping, `webhook_id=<id>` as a form body,
and disables the webhook unless it gets a 200: the ping is answered and stored nowhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from werkzeug.datastructures import Headers

from handlers.readers import event_time, snapshot_key
from handlers.woocommerce import samples
from shopsync.clock import from_timestamp
from shopsync.errors import InvalidPayload, InvalidSignature
from shopsync.models import WebhookEvent
from shopsync.models.limits import column_limit
from shopsync.pipeline.payloads import decode_utf8, parse_json_object
from shopsync.pipeline.registry import (
    Delivery,
    EndpointSetup,
    IncomingRequest,
    Provider,
    registry,
)
from shopsync.pipeline.signatures import hmac_sha256_base64, require_matching_signature

NAME = "woocommerce"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
PING_BODY = re.compile(rb"webhook_id=\d{1,20}")

ORDER_TOPICS = ("order.created", "order.updated")
DELETION_TOPIC = "order.deleted"
# Sent when an order is taken out of the trash, with the order as order.updated sends it.
RESTORED_TOPIC = "order.restored"
EVENT_TYPES = frozenset((*ORDER_TOPICS, DELETION_TOPIC, RESTORED_TOPIC))
# Dedupe families: every order topic carries the same kind of snapshot. A restoration is
# its own family: its body may repeat the snapshot sent before the order was trashed.
FAMILIES = {
    **dict.fromkeys(ORDER_TOPICS, "order"),
    DELETION_TOPIC: "deletion",
    RESTORED_TOPIC: "restoration",
}


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery | None:
    """Answer the creation ping; otherwise check the HMAC on the raw bytes, then parse."""
    signature = incoming.headers.get(SIGNATURE_HEADER, "").strip()
    if not signature and PING_BODY.fullmatch(incoming.body.strip()):
        return None
    if not signature:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    require_matching_signature(signature, endpoint.secrets, lambda s: digest(incoming.body, s))
    text = decode_utf8(incoming.body)
    payload = parse_json_object(text)
    topic = _topic(incoming.headers)
    modified = payload.get("date_modified_gmt")
    return Delivery(
        event_id=dedupe_key(topic, payload, incoming.body),
        event_type=topic[: column_limit(WebhookEvent, "event_type")],
        # `date_modified_gmt` is UTC without an offset: when the order last changed.
        occurred_at=event_time(modified, now=from_timestamp(now)) or from_timestamp(now),
        payload_text=text,
    )


def digest(body: bytes, secret: str) -> bytes:
    """The header value WooCommerce sends for `body`: base64 of HMAC-SHA256 with the secret."""
    return hmac_sha256_base64(body, secret)


def _topic(headers: Headers) -> str:
    topic = headers.get(TOPIC_HEADER, "").strip()
    if not topic:
        raise InvalidPayload(f"missing {TOPIC_HEADER} header")
    return topic


def dedupe_key(topic: str, payload: dict[str, Any], body: bytes) -> str:
    """What makes two deliveries the same event: the same snapshot of the same order.

    Only the body is signed, so the key comes from it (handlers.readers.snapshot_key):
    the topic's family (an order snapshot or a deletion), the order id, its
    `date_modified_gmt` and a digest of the bytes. `X-WC-Webhook-Delivery-ID` cannot
    stand in for an event id: it is a hash of the webhook id and the current second,
    so it differs between two sends of one change yet is shared by two orders
    changing in the same second. A snapshot resent as another order topic is a
    duplicate; resent as order.deleted it is recorded, and refused by that handler.
    """
    return snapshot_key(
        FAMILIES.get(topic, topic), payload.get("id"), payload.get("date_modified_gmt"), body
    )


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """The headers WooCommerce sends with `body` as topic `event_type` (only the body is signed)."""
    del timestamp  # WooCommerce sends no signed time
    topic = event_type
    # WordPress's wp_hash() is an MD5 HMAC; only the shape matters here.
    delivery_id = hashlib.md5(event_id.encode(), usedforsecurity=False).hexdigest()
    return {
        SIGNATURE_HEADER: digest(body, secret).decode(),
        TOPIC_HEADER: topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[-1],
        "X-WC-Webhook-ID": str(samples.WEBHOOK_ID),
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Source": samples.SOURCE_URL,
        "Content-Type": "application/json",
    }


def new_secret() -> str:
    """For the webhook's Secret field; URL-safe characters survive WordPress's escaping."""
    return secrets.token_urlsafe(32)


PROVIDER = registry.add_provider(
    Provider(
        name=NAME,
        event_types=EVENT_TYPES,
        verify=verify,
        new_secret=new_secret,
        sign=sign,
        sample=samples.sample,
        description="WooCommerce orders (status changes, refunds, deletions, restorations)",
        signing_setup=(
            "paste this secret into the Secret field of the webhook's form in WooCommerce "
            "(Settings > Advanced > Webhooks), with this URL as its Delivery URL"
        ),
    )
)
