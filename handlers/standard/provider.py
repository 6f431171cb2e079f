"""How Standard Webhooks deliveries are verified and read (custom stores and carriers).

The signature is checked with the `standardwebhooks` package. Around it we add what it
leaves out: a timestamp tolerance against the clock we are given (the package reads
its own), a strict timestamp format, and turning every error it can raise on garbage
(`binascii.Error`, unpacking errors, bad secrets) into `InvalidSignature`.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import (
    EmptyWebhookSecretError,
    Webhook,
    WebhookVerificationError,
)

from handlers.readers import event_time
from handlers.standard import samples
from shopsync.clock import from_timestamp
from shopsync.errors import InvalidSignature
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

NAME = "standard"
TOLERANCE_SECONDS = 300
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16
# The inbox columns' limits: an id is refused rather than cut (cutting could merge events).
MAX_ID_LENGTH = column_limit(WebhookEvent, "event_id")
MAX_TYPE_LENGTH = column_limit(WebhookEvent, "event_type")
MAX_TIMESTAMP_DIGITS = 12

ORDER_EVENTS = ("order.created", "order.updated", "order.canceled")
SHIPMENT_EVENTS = ("shipment.created", "shipment.updated", "shipment.delivered")
EVENT_TYPES = frozenset(ORDER_EVENTS + SHIPMENT_EVENTS)


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery:
    """Check the headers and the signature on the raw body, then parse it."""
    headers = _signature_headers(incoming)
    message_id = headers[ID_HEADER]
    timestamp = _check_timestamp(headers[TIMESTAMP_HEADER], now)
    text = decode_utf8(incoming.body)
    if not any(_signed_with(text, headers, secret) for secret in endpoint.secrets):
        raise InvalidSignature("no valid v1 signature for this endpoint's secrets")
    payload = parse_json_object(text)
    event_type = payload.get("type")
    return Delivery(
        event_id=message_id,
        event_type=event_type[:MAX_TYPE_LENGTH] if isinstance(event_type, str) else "",
        occurred_at=event_time(payload.get("timestamp"), now=from_timestamp(now))
        or from_timestamp(timestamp),
        payload_text=text,
    )


def _signature_headers(incoming: IncomingRequest) -> dict[str, str]:
    names = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    found = {name: incoming.headers.get(name) or "" for name in names}
    missing = [name for name, value in found.items() if not value]
    if missing:
        raise InvalidSignature(f"missing {', '.join(missing)} header")
    message_id = found[ID_HEADER]
    if len(message_id) > MAX_ID_LENGTH or not message_id.isprintable():
        raise InvalidSignature(f"{ID_HEADER} must be at most {MAX_ID_LENGTH} printable characters")
    return found


def _check_timestamp(header: str, now: float) -> int:
    # Digits only: the package would also take "1.7e9" or " 17…", which signers never send.
    # The length cap keeps absurd values from overflowing the float arithmetic below.
    if not (header.isascii() and header.isdigit() and len(header) <= MAX_TIMESTAMP_DIGITS):
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not a unix time in seconds")
    timestamp = int(header)
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature(f"timestamp outside the {TOLERANCE_SECONDS} s tolerance")
    return timestamp


def _signed_with(text: str, headers: dict[str, str], secret: str) -> bool:
    try:
        Webhook(secret).verify(text, headers, json_parse=False)
    except (WebhookVerificationError, EmptyWebhookSecretError, ValueError):
        # ValueError covers binascii.Error (bad base64 in a signature or a secret) and a
        # signature entry without exactly one comma.
        return False
    return True


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """The headers a Standard Webhooks sender puts on `body` (whose `type` names the event)."""
    del event_type
    moment = datetime.fromtimestamp(int(timestamp), UTC)
    signature = Webhook(secret).sign(msg_id=event_id, timestamp=moment, data=body.decode())
    return {
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(int(timestamp)),
        SIGNATURE_HEADER: signature,
        "Content-Type": "application/json",
    }


def new_secret() -> str:
    """`whsec_` + base64 of random bytes: the secret is base64-decoded before use."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> str | None:
    """What the package would refuse, or silently misread: bad base64, too few key bytes."""
    if secret != secret.strip() or " " in secret:
        return "contains whitespace (a copy-and-paste slip?)"
    try:
        Webhook(secret)
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (EmptyWebhookSecretError, ValueError):
        # ValueError covers binascii.Error: the package decodes leniently, dropping
        # characters, so a mistyped secret would verify with a different key.
        return "is not a Standard Webhooks secret (whsec_ followed by base64)"
    if len(key) < MIN_SECRET_BYTES:
        return f"decodes to fewer than {MIN_SECRET_BYTES} bytes"
    return None


PROVIDER = registry.add_provider(
    Provider(
        name=NAME,
        event_types=EVENT_TYPES,
        verify=verify,
        new_secret=new_secret,
        sign=sign,
        check_secret=check_secret,
        sample=samples.sample,
        description="Custom stores and carriers signing with Standard Webhooks",
        signing_setup="configure your store's or carrier's webhook sender with this secret",
    )
)
