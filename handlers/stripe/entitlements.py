"""Stripe Entitlements: the customer's active entitlement summary, by feature lookup key.

The summary in the event can be cut short (`has_more`); with an API key connected the
whole list is read from Stripe then.
"""

from __future__ import annotations

from handlers.stripe.objects import data_object, event_livemode, reference
from handlers.stripe.provider import NAME
from shopsync.connections import stripe_reader
from shopsync.errors import Unprocessable
from shopsync.pipeline.registry import EventContext, registry
from shopsync.subscriptions import updates
from shopsync.subscriptions.facts import EntitlementFacts

KEY_LIMIT = 255


@registry.on(NAME, "entitlements.active_entitlement_summary.updated")
def record_entitlements(ctx: EventContext) -> None:
    summary = data_object(ctx)
    customer = reference(summary.get("customer"))
    if customer is None:
        raise Unprocessable("missing customer")
    listed = summary.get("entitlements")
    listed = listed if isinstance(listed, dict) else {}
    keys = _lookup_keys(listed.get("data"))
    if listed.get("has_more") is True:
        reader = stripe_reader.reader_for(
            ctx.work.session, ctx.work.store_id, livemode=event_livemode(ctx)
        )
        complete = reader.entitlements(customer) if reader else None
        keys = complete if complete is not None else keys
    updates.update_entitlements(
        ctx.work, EntitlementFacts(customer_ref=customer, lookup_keys=tuple(keys))
    )


def _lookup_keys(data: object) -> list[str]:
    entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
    keys = [e.get("lookup_key") for e in entries]
    return [k.strip()[:KEY_LIMIT] for k in keys if isinstance(k, str) and k.strip()]
