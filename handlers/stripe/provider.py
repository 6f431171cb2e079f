"""How Stripe deliveries are verified and read."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import stripe

from handlers.stripe import samples
from shopsync.clock import from_timestamp
from shopsync.errors import Ignored, InvalidPayload, InvalidSignature
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

NAME = "stripe"
TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "Stripe-Signature"
# Unix times are read only as plain digits of a sane length: Python's int() takes 4,000
# digits, and a float of that overflows; 11 digits reach the year 5138.
MAX_TIMESTAMP_DIGITS = 11
# The last second datetime can hold (9999-12-31T23:59:59Z).
MAX_UNIX_TIME = 253_402_300_799
SECRET_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret

EVENT_TYPES = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "payment_intent.processing",
        "charge.refunded",
        "charge.refund.updated",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.dispute.created",
        "charge.dispute.closed",
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.payment_failed",
        "invoice.payment_action_required",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "customer.subscription.trial_will_end",
        "customer.subscription.paused",
        "customer.subscription.resumed",
        "entitlements.active_entitlement_summary.updated",
    }
)


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery:
    """Check the signature with the SDK on the raw body, then parse it."""
    header = incoming.headers.get(SIGNATURE_HEADER)
    if not header:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    text = decode_utf8(incoming.body)
    _check_timestamp(header, now)
    if not any(_signed_with(text, header, secret) for secret in endpoint.secrets):
        raise InvalidSignature("no valid v1 signature for this endpoint's secrets")
    payload = parse_json_object(text)
    return Delivery(
        event_id=_text(payload.get("id"), column_limit(WebhookEvent, "event_id"))
        or _fallback_id(text),
        event_type=_text(payload.get("type"), column_limit(WebhookEvent, "event_type")),
        occurred_at=_created(payload, now),
        payload_text=text,
    )


def _check_timestamp(header: str, now: float) -> None:
    # The SDK rejects only old timestamps; a replay signed "in the future" must fail too.
    # Read as the SDK reads it (the first `t=`), but only as a plain, short number.
    stamps = [
        value for key, _, value in (p.partition("=") for p in header.split(",")) if key == "t"
    ]
    stamp = stamps[0] if stamps else ""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
        raise InvalidSignature("signature header has no valid timestamp")
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        raise InvalidSignature(f"timestamp outside the {TOLERANCE_SECONDS} s tolerance")


def _signed_with(text: str, header: str, secret: str) -> bool:
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError, TypeError):
        return False
    return True


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _fallback_id(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _created(payload: dict[str, Any], now: float) -> datetime:
    """The event's `created` (whole unix seconds); the time of receipt if it has none."""
    created = payload.get("created")
    if created is None:
        return from_timestamp(now)
    if (
        isinstance(created, bool)
        or not isinstance(created, int)
        or not 0 < created <= MAX_UNIX_TIME
    ):
        raise InvalidPayload("created is not a unix time in whole seconds")
    return from_timestamp(created)


def screen(ctx: EventContext) -> None:
    """Test-mode events never touch a live store's orders; nor do other accounts' events.

    Connect platforms send `account` on events about connected accounts; only the
    store's own account (`Store.stripe_account_id`) is acted on.
    """
    if ctx.store.livemode and ctx.payload.get("livemode") is False:
        ignore_test_event(ctx.store, NAME)
    account = ctx.payload.get("account")
    if account is not None and account != ctx.store.stripe_account_id:
        raise Ignored("event for a Stripe account this store is not connected to")


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """Stripe's header; the body names the event (`type`) and its id itself."""
    del event_id, event_type
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(timestamp)
    )
    return {SIGNATURE_HEADER: header, "Content-Type": "application/json"}


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(24)


def check_secret(secret: str) -> str | None:
    """Stripe's endpoint secrets are `whsec_` and 32 or more characters."""
    if not secret.startswith(SECRET_PREFIX):
        return f"does not start with {SECRET_PREFIX} (copy the endpoint's signing secret)"
    problem = plain_secret_problem(secret.removeprefix(SECRET_PREFIX))
    return None if problem is None else f"after {SECRET_PREFIX} {problem}"


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
        description="Stripe payments, refunds, disputes and subscriptions",
        signing_setup=(
            "Stripe issues the signing secret when you add this URL as an endpoint: give it "
            "with `shopsync store set-secrets {store_id} stripe whsec_...` (this one is for "
            "`shopsync simulate`)"
        ),
    )
)
