"""How EasyPost tracker deliveries are verified and read.

EasyPost signs the raw body with HMAC-SHA256 keyed by the NFKD-normalised webhook
secret and sends `X-Hmac-Signature: hmac-sha256-hex=<hex>`, exactly as its SDK's
`validate_webhook` checks it; we do the same few lines here rather than depend on the
whole SDK. The signature covers no timestamp, so a replayed event cannot be told from
a redelivery: dedupe on the event id and monotonic shipment statuses make both harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from typing import Any

from handlers.easypost import samples
from handlers.readers import event_time
from shopsync.clock import from_timestamp
from shopsync.errors import InvalidSignature
from shopsync.models import WebhookEvent
from shopsync.models.limits import column_limit
from shopsync.pipeline.payloads import decode_utf8, parse_json_object
from shopsync.pipeline.registry import (
    Delivery,
    EndpointSetup,
    EventContext,
    IncomingRequest,
    Provider,
    registry,
)
from shopsync.pipeline.screening import ignore_test_event

NAME = "easypost"
SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="
MAX_ID_LENGTH = column_limit(WebhookEvent, "event_id")
MAX_TYPE_LENGTH = column_limit(WebhookEvent, "event_type")
TEST_MODE = "test"

EVENT_TYPES = frozenset({"tracker.created", "tracker.updated"})


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery:
    """Check the body's HMAC against each of the endpoint's secrets, then parse it."""
    header = incoming.headers.get(SIGNATURE_HEADER)
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    # Bytes, not str: compare_digest raises TypeError on non-ASCII text.
    received = header.encode("utf-8", errors="replace")
    accepted = endpoint.secrets
    if not any(hmac.compare_digest(received, _signature(incoming.body, s)) for s in accepted):
        raise InvalidSignature("no valid signature for this endpoint's secrets")
    text = decode_utf8(incoming.body)
    payload = parse_json_object(text)
    return Delivery(
        event_id=_event_id(payload, text),
        event_type=_text(payload.get("description"), MAX_TYPE_LENGTH),
        occurred_at=event_time(payload.get("created_at"), now=from_timestamp(now))
        or from_timestamp(now),
        payload_text=text,
    )


def _signature(body: bytes, secret: str) -> bytes:
    key = unicodedata.normalize("NFKD", secret).encode("utf-8")
    return (SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()).encode()


def _event_id(payload: dict[str, Any], text: str) -> str:
    event_id = _text(payload.get("id"), MAX_ID_LENGTH + 1)
    if not event_id or len(event_id) > MAX_ID_LENGTH:
        # No usable id: the body itself is the dedupe key, as for Stripe.
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return event_id


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) and "\x00" not in value else ""


def screen(ctx: EventContext) -> None:
    """Test-mode trackers never touch a live store's shipments."""
    if ctx.store.livemode and ctx.payload.get("mode") == TEST_MODE:
        ignore_test_event(ctx.store, NAME)


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """EasyPost's header; the body names the event (`description`) and its id itself."""
    del timestamp, event_id, event_type
    return {SIGNATURE_HEADER: _signature(body, secret).decode(), "Content-Type": "application/json"}


def new_secret() -> str:
    """EasyPost lets the user choose the secret; we suggest a long random one."""
    return secrets.token_urlsafe(32)


PROVIDER = registry.add_provider(
    Provider(
        name=NAME,
        event_types=EVENT_TYPES,
        verify=verify,
        new_secret=new_secret,
        sign=sign,
        screen=screen,
        sample=samples.sample,
        prelude=samples.prelude,
        description="EasyPost carrier tracking (tracker.updated)",
        signing_setup="give this secret as the webhook secret when you add this URL in EasyPost",
    )
)
