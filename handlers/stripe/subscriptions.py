"""Subscriptions: `customer.subscription.*` snapshots kept by Stripe's clock, then access.

Reads both the current shape (periods on the items, prices with lookup keys) and the
older one that older endpoints and localstripe send (periods at the top level, legacy
`plan` instead of `price`). With an API key connected, a snapshot that conflicts with
the recorded one is settled by re-reading the subscription from Stripe.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.stripe.objects import data_object, event_livemode, reference
from handlers.stripe.provider import MAX_UNIX_TIME, NAME
from shopsync.clock import from_timestamp
from shopsync.connections import stripe_reader
from shopsync.errors import Unprocessable
from shopsync.models.vocabulary import SubscriptionStatus
from shopsync.pipeline.registry import EventContext, registry
from shopsync.subscriptions import updates
from shopsync.subscriptions.facts import ItemFacts, SubscriptionFacts

ITEM_LIMIT = 100


@registry.on(
    NAME,
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
)
def record_subscription(ctx: EventContext) -> None:
    obj = data_object(ctx)
    facts = subscription_facts(obj, event_id=_event_id(ctx))
    updates.record_subscription(
        ctx.work, facts, started_at=_started(obj), reread=_reread(ctx, facts.external_id)
    )


@registry.on(NAME, "customer.subscription.trial_will_end")
def note_trial_ending(ctx: EventContext) -> None:
    obj = data_object(ctx)
    facts = subscription_facts(obj, event_id=_event_id(ctx))
    row = updates.record_subscription(
        ctx.work, facts, started_at=_started(obj), reread=_reread(ctx, facts.external_id)
    )
    updates.note_trial_ending(ctx.work, row)


def subscription_facts(obj: dict[str, Any], *, event_id: str) -> SubscriptionFacts:
    """A Stripe subscription object (any API version) as facts."""
    subscription_id = reference(obj.get("id"))
    if subscription_id is None or not subscription_id.startswith("sub"):
        raise Unprocessable("missing subscription id")
    try:
        status = SubscriptionStatus(str(obj.get("status")))
    except ValueError:
        raise Unprocessable("unknown subscription status") from None
    pause = obj.get("pause_collection")
    pause = pause if isinstance(pause, dict) else {}
    return SubscriptionFacts(
        external_id=subscription_id,
        status=status,
        customer_ref=reference(obj.get("customer")),
        event_id=event_id,
        items=tuple(_item(item) for item in _items(obj)),
        current_period_start=unix_time(obj.get("current_period_start")),
        current_period_end=unix_time(obj.get("current_period_end")),
        trial_end=unix_time(obj.get("trial_end")),
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        cancel_at=unix_time(obj.get("cancel_at")),
        canceled_at=unix_time(obj.get("canceled_at")),
        ended_at=unix_time(obj.get("ended_at")),
        pause_behavior=_text(pause.get("behavior")),
        pause_resumes_at=unix_time(pause.get("resumes_at")),
        latest_invoice=reference(obj.get("latest_invoice")),
    )


def unix_time(value: object) -> datetime | None:
    """A Stripe timestamp (whole unix seconds), or None when absent or not one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_UNIX_TIME:
        return None
    return from_timestamp(value)


def _items(obj: dict[str, Any]) -> list[dict[str, Any]]:
    items = obj.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    return [i for i in data[:ITEM_LIMIT] if isinstance(i, dict)] if isinstance(data, list) else []


def _item(item: dict[str, Any]) -> ItemFacts:
    price = item.get("price") if isinstance(item.get("price"), dict) else None
    plan = item.get("plan") if isinstance(item.get("plan"), dict) else None
    priced = price or plan or {}
    quantity = item.get("quantity")
    return ItemFacts(
        external_id=reference(item.get("id")),
        price=reference(priced.get("id")),
        lookup_key=_text(price.get("lookup_key")) if price else None,
        product=reference(priced.get("product")),
        quantity=quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else None,
        current_period_start=unix_time(item.get("current_period_start")),
        current_period_end=unix_time(item.get("current_period_end")),
    )


def _started(obj: dict[str, Any]) -> datetime | None:
    return unix_time(obj.get("start_date")) or unix_time(obj.get("created"))


def _text(value: object) -> str | None:
    return value.strip()[:255] or None if isinstance(value, str) else None


def _event_id(ctx: EventContext) -> str:
    event_id = ctx.payload.get("id")
    return event_id if isinstance(event_id, str) else ""


def _reread(ctx: EventContext, subscription_id: str) -> updates.Reread | None:
    reader = stripe_reader.reader_for(
        ctx.work.session, ctx.work.store_id, livemode=event_livemode(ctx)
    )
    if reader is None:
        return None

    def reread() -> SubscriptionFacts | None:
        current = reader.subscription(subscription_id)
        return None if current is None else subscription_facts(current, event_id="~api")

    return reread
