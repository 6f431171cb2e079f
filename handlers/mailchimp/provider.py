"""How Mailchimp audience webhooks are received and read.

Mailchimp signs nothing. The credential is the URL: `/webhooks/mailchimp/<endpoint
key>/<second secret>`, both unguessable, the secret compared in constant time before
this module sees anything (`secret_in_path`; wrong → 404, nothing stored). When a
webhook is saved Mailchimp checks the URL with a GET (some see an empty POST): answered
200, stored nowhere.

A delivery is a strict form (see handlers.mailchimp.form): a known `type`, a
`fired_at` in Mailchimp's `YYYY-MM-DD HH:MM:SS` (UTC), `data[list_id]` (the connected
audience's, when the endpoint is pinned to one) and the address fields its type needs;
anything else is refused with 400. Even so its content is only a hint: the handlers
re-read the member from Mailchimp before changing anything. Mailchimp gives no event
id and retries, so the dedupe key is a hash of type, `fired_at`, audience and address.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from handlers.mailchimp import samples
from handlers.mailchimp.form import Form, parse_form
from handlers.readers import event_time
from shopsync.clock import from_timestamp
from shopsync.customers.customers import normalize_email
from shopsync.errors import InvalidPayload
from shopsync.pipeline.payloads import decode_utf8
from shopsync.pipeline.registry import (
    Delivery,
    EndpointSetup,
    IncomingRequest,
    Provider,
    plain_secret_problem,
    registry,
)

NAME = "mailchimp"
FORM_TYPE = "application/x-www-form-urlencoded"
FIRED_AT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
MEMBER_TYPES = ("subscribe", "unsubscribe", "profile", "cleaned")
EVENT_TYPES = frozenset((*MEMBER_TYPES, "upemail", "campaign"))
UNSUBSCRIBE_ACTIONS = ("unsub", "delete")
MAX_ID = 100


def verify(incoming: IncomingRequest, endpoint: EndpointSetup, now: float) -> Delivery | None:
    """The URL check is a ping; a POST is read strictly (the URL secret is already checked)."""
    if incoming.method != "POST" or not incoming.body.strip():
        return None
    if incoming.content_type != FORM_TYPE:
        raise InvalidPayload(f"Mailchimp posts {FORM_TYPE}")
    form = parse_form(decode_utf8(incoming.body))
    event_type = _event_type(form)
    occurred_at = _fired_at(form, now)
    data: dict[str, Any] = form["data"]
    list_id = _required(data, "list_id")
    if endpoint.account_ref and list_id != endpoint.account_ref:
        raise InvalidPayload("the delivery is about another audience than the connected one")
    address = _address(event_type, data)
    return Delivery(
        event_id=dedupe_key(event_type, str(form["fired_at"]), list_id, address),
        event_type=event_type,
        occurred_at=occurred_at,
        payload_text=json.dumps(form, separators=(",", ":"), sort_keys=True),
    )


def dedupe_key(event_type: str, fired_at: str, list_id: str, address: str) -> str:
    """Mailchimp has no event id: the same type, second, audience and address is one event."""
    parts = "\n".join((event_type, fired_at, list_id, address))
    return "mailchimp:" + hashlib.sha256(parts.encode()).hexdigest()


def _event_type(form: Form) -> str:
    event_type = form.get("type")
    if event_type not in EVENT_TYPES:
        raise InvalidPayload("missing or unknown Mailchimp event type")
    return str(event_type)


def _fired_at(form: Form, now: float) -> datetime:
    value = form.get("fired_at")
    if not isinstance(value, str) or not FIRED_AT.fullmatch(value):
        raise InvalidPayload("fired_at is not Mailchimp's YYYY-MM-DD HH:MM:SS")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidPayload("fired_at is not a real time") from None
    if event_time(parsed.isoformat(), now=from_timestamp(now)) is None:
        raise InvalidPayload("fired_at is too far in the past or the future")
    return parsed


def _address(event_type: str, data: dict[str, Any]) -> str:
    """What the event is about: the address (old → new for upemail), a campaign's id."""
    if event_type == "campaign":
        return _required(data, "id")
    if event_type == "upemail":
        return f"{_email(data, 'old_email')}>{_email(data, 'new_email')}"
    if event_type == "unsubscribe" and data.get("action") not in UNSUBSCRIBE_ACTIONS:
        raise InvalidPayload("unsubscribe without data[action] unsub or delete")
    return _email(data, "email")


def _email(data: dict[str, Any], field: str) -> str:
    email = normalize_email(data.get(field) if isinstance(data.get(field), str) else None)
    if email is None:
        raise InvalidPayload(f"data[{field}] is not an email address")
    return email


def _required(data: dict[str, Any], field: str) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        raise InvalidPayload(f"missing data[{field}]")
    return value.strip()


def sign(
    body: bytes, secret: str, *, timestamp: float, event_id: str, event_type: str
) -> dict[str, str]:
    """Mailchimp signs nothing: the secret travels in the URL. Its headers, as it sends them."""
    del body, secret, timestamp, event_id, event_type
    return {"Content-Type": FORM_TYPE, "User-Agent": "MailChimp"}


def new_secret() -> str:
    """The URL's second secret: URL-safe, 256 bits."""
    return secrets.token_urlsafe(32)


def check_secret(secret: str) -> str | None:
    if secret and not re.fullmatch(r"[A-Za-z0-9_-]+", secret):
        return "may hold only letters, digits, - and _ (it is part of a URL)"
    return plain_secret_problem(secret, min_length=32)


PROVIDER = registry.add_provider(
    Provider(
        name=NAME,
        event_types=EVENT_TYPES,
        verify=verify,
        new_secret=new_secret,
        sign=sign,
        check_secret=check_secret,
        sample=samples.sample,
        description="Mailchimp audience changes (subscribes, unsubscribes, profiles, addresses)",
        signing_setup=(
            "nothing to paste: `shopsync mailchimp connect {store_id} --api-key KEY` "
            "registers this URL (its last part is the secret) at Mailchimp"
        ),
        answers_get=True,
        secret_in_path=True,
    )
)
