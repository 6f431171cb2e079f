"""Reading the fields shopsync needs from Stripe objects, with their linking conventions.

A store links a Stripe payment to its order by putting the store's order id in
`metadata.order_id` (PaymentIntents, Charges, Checkout Sessions) or in
`client_reference_id` (Checkout Sessions).
"""

from __future__ import annotations

from typing import Any

from shopsync.customers.customers import CustomerFacts
from shopsync.errors import Unprocessable
from shopsync.models import Order
from shopsync.models.limits import column_limit
from shopsync.money import MAX_MINOR_UNITS
from shopsync.pipeline.registry import EventContext


def data_object(ctx: EventContext) -> dict[str, Any]:
    data = ctx.payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise Unprocessable("event has no data.object")
    return obj


def event_livemode(ctx: EventContext) -> bool | None:
    """Which mode the event is from (its `livemode`), or None when it does not say."""
    livemode = ctx.payload.get("livemode")
    return livemode if isinstance(livemode, bool) else None


def order_id_of(obj: dict[str, Any]) -> str | None:
    metadata = obj.get("metadata")
    candidates = [obj.get("client_reference_id")]
    if isinstance(metadata, dict):
        candidates.insert(0, metadata.get("order_id"))
    for value in candidates:
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()[: column_limit(Order, "external_id")]
    return None


def amount(obj: dict[str, Any], *names: str) -> int:
    for name in names:
        value = obj.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MINOR_UNITS:
            return value
    raise Unprocessable(f"missing amount ({' or '.join(names)})")


def currency(obj: dict[str, Any]) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or len(value) != 3:
        raise Unprocessable("missing or invalid currency")
    return value.upper()


def reference(value: object) -> str | None:
    """An expandable field: either an id string or an object with an `id`."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


# Checkout's `consent.promotions`, when the session collected it.
PROMOTIONS_CONSENT = {"opt_in": True, "opt_out": False}


def text(value: object, limit: int = 320) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def customer_of(session: dict[str, Any], details: dict[str, Any]) -> CustomerFacts:
    """The Checkout Session's customer: the Stripe Customer (`cus_...`) when there is one."""
    consent = session.get("consent")
    promotions = consent.get("promotions") if isinstance(consent, dict) else None
    return CustomerFacts(
        email=text(details.get("email")) or text(session.get("customer_email")),
        name=text(details.get("name"), 200),
        provider="stripe",
        external_id=reference(session.get("customer")),
        accepts_marketing=PROMOTIONS_CONSENT.get(promotions)
        if isinstance(promotions, str)
        else None,
    )
