"""Subscription rows, kept by the provider's own clock.

Status is not forward-only (active ↔ past_due, paused ↔ active), so arrival order
decides nothing. Each row keeps two facts, each merged so that any order of the same
events ends in the same row:

- the snapshot (status, items, periods, cancellation, pause) of the newest
  `customer.subscription.*` event: newer means a later event `created`, and within the
  same second a higher `snapshot_rank` (the object's own times, then a fixed status
  order, then the event id), so a tie always ends the same way;
- the newest invoice (by the invoice's own `created`, then its id) and its outcome:
  paid is final for an invoice; failures keep the first failure time (`failed_since`,
  where a grace period starts) and the newest failure's time.

An older snapshot, or an older invoice, changes nothing. Which of the two facts is newer
decides the status the access rule sees (see `subscriptions.access`).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select

from shopsync.clock import aware, utcnow
from shopsync.models import Subscription
from shopsync.models.limits import column_limit
from shopsync.models.vocabulary import InvoiceOutcome, SubscriptionStatus
from shopsync.subscriptions.facts import InvoiceFacts, ItemFacts, SubscriptionFacts
from shopsync.work import UnitOfWork

# In a tie of the same second, a later stage in this list is taken as the newer snapshot.
TIE_ORDER = (
    SubscriptionStatus.INCOMPLETE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
    SubscriptionStatus.CANCELED,
    SubscriptionStatus.INCOMPLETE_EXPIRED,
)


def snapshot_rank(facts: SubscriptionFacts) -> str:
    """Orders snapshots of the same second: object times, then status, then event id."""
    times = [facts.period_start, facts.canceled_at, facts.ended_at]
    latest = max((int(t.timestamp()) for t in times if t is not None), default=0)
    stage = TIE_ORDER.index(facts.status)
    rank = f"{latest:011d}.{stage}.{facts.event_id}"
    return rank[: column_limit(Subscription, "snapshot_rank")]


def subscription_row(work: UnitOfWork, external_id: str) -> Subscription:
    """The store's row for this subscription, created if new, locked for this transaction."""
    table = Subscription.__table__  # type: ignore[attr-defined]
    dialect = postgresql if work.session.get_bind().dialect.name == "postgresql" else sqlite
    work.session.execute(
        dialect.insert(table)
        .values(
            store_id=work.store_id,
            external_id=external_id[: column_limit(Subscription, "external_id")],
            status=SubscriptionStatus.INCOMPLETE.value,
            items="[]",
            cancel_at_period_end=False,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["store_id", "external_id"])
    )
    statement = (
        select(Subscription)
        .where(Subscription.store_id == work.store_id, Subscription.external_id == external_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return work.session.exec(statement).one()


def is_newer_snapshot(row: Subscription, facts: SubscriptionFacts, at: datetime) -> bool:
    if row.last_event_at is None:
        return True
    recorded = aware(row.last_event_at)
    if at != recorded:
        return at > recorded
    return snapshot_rank(facts) > (row.snapshot_rank or "")


def is_conflicting_snapshot(row: Subscription, at: datetime) -> bool:
    """Same second as the recorded snapshot, or older than it: the API can settle it."""
    return row.last_event_at is not None and at <= aware(row.last_event_at)


def apply_snapshot(row: Subscription, facts: SubscriptionFacts, *, at: datetime, rank: str) -> None:
    """Write the snapshot onto the row (the caller decided it is the newest)."""
    first = facts.items[0] if facts.items else None
    row.status = facts.status.value
    row.customer_ref = _clip(facts.customer_ref, "customer_ref") or row.customer_ref
    row.current_period_start = facts.period_start
    row.current_period_end = facts.period_end
    row.plan = _clip(first.feature if first else None, "plan")
    row.quantity = first.quantity if first else None
    row.items = json.dumps([_item(item) for item in facts.items], sort_keys=True)
    row.trial_end = facts.trial_end
    row.cancel_at_period_end = facts.cancel_at_period_end
    row.cancel_at = facts.cancel_at
    row.canceled_at = facts.canceled_at or facts.ended_at
    row.pause_behavior = _clip(facts.pause_behavior, "pause_behavior")
    row.pause_resumes_at = facts.pause_resumes_at
    row.latest_invoice = _clip(facts.latest_invoice, "latest_invoice")
    row.last_event_at = at
    row.snapshot_rank = rank
    row.updated_at = utcnow()


def apply_invoice(row: Subscription, facts: InvoiceFacts, *, at: datetime) -> bool:
    """Merge an invoice's outcome into the row; whether anything changed."""
    recorded = _invoice_key(row)
    incoming = (facts.created, facts.invoice_id)
    if recorded is not None and incoming < recorded:
        return False
    if recorded is None or incoming > recorded:
        _start_invoice(row, facts, at=at)
        return True
    return _same_invoice(row, facts, at=at)


def features_of(row: Subscription) -> list[str]:
    """Each item's feature (its price's lookup key, else the price id), in item order."""
    items = json.loads(row.items or "[]")
    return [item["feature"] for item in items if isinstance(item, dict) and item.get("feature")]


def link_customer(work: UnitOfWork, *, customer_ref: str, customer_id: int) -> None:
    """Point the store's subscriptions of this provider customer id at the customer."""
    table = Subscription.__table__  # type: ignore[attr-defined]
    work.session.execute(
        update(table)
        .where(table.c.store_id == work.store_id, table.c.customer_ref == customer_ref)
        .where(table.c.customer_id.is_(None) | (table.c.customer_id != customer_id))
        .values(customer_id=customer_id)
    )


def _invoice_key(row: Subscription) -> tuple[datetime, str] | None:
    if row.invoice_id is None or row.invoice_created is None:
        return None
    return aware(row.invoice_created), row.invoice_id


def _start_invoice(row: Subscription, facts: InvoiceFacts, *, at: datetime) -> None:
    paid = facts.outcome is InvoiceOutcome.PAID
    row.invoice_id = _clip(facts.invoice_id, "invoice_id")
    row.invoice_created = facts.created
    row.invoice_outcome = facts.outcome.value
    row.invoice_at = at
    row.failed_since = None if paid else at
    row.paid_through = facts.period_end if paid else None
    row.hosted_invoice_url = _clip(facts.hosted_invoice_url, "hosted_invoice_url")


def _same_invoice(row: Subscription, facts: InvoiceFacts, *, at: datetime) -> bool:
    was_paid = row.invoice_outcome == InvoiceOutcome.PAID.value
    now_paid = facts.outcome is InvoiceOutcome.PAID
    recorded_at = aware(row.invoice_at) if row.invoice_at else None
    if was_paid and not now_paid:
        # A failure of an invoice that got paid: it still counts for the grace start.
        row.failed_since = min(aware(row.failed_since), at) if row.failed_since else at
        return False
    if now_paid and not was_paid:
        row.invoice_outcome = facts.outcome.value
        row.invoice_at = at
        row.paid_through = facts.period_end
        return True
    newest = recorded_at is None or (at, facts.outcome.value) > (recorded_at, row.invoice_outcome)
    if newest:
        row.invoice_outcome = facts.outcome.value
        row.invoice_at = at
        row.paid_through = facts.period_end if now_paid else row.paid_through
    if not now_paid:
        row.failed_since = min(aware(row.failed_since), at) if row.failed_since else at
    row.hosted_invoice_url = row.hosted_invoice_url or _clip(
        facts.hosted_invoice_url, "hosted_invoice_url"
    )
    return newest


def _item(item: ItemFacts) -> dict[str, object]:
    end = item.current_period_end
    return {
        "id": item.external_id,
        "price": item.price,
        "lookup_key": item.lookup_key,
        "product": item.product,
        "quantity": item.quantity,
        "feature": item.feature,
        "current_period_end": end.isoformat() if end else None,
    }


def _clip(value: str | None, column: str) -> str | None:
    return value[: column_limit(Subscription, column)] if value else None
