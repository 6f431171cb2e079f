"""Refunds: money going back, counted from the refunds that stand.

Each refund is one row by its provider id, with the status it had at the provider's
newest time (`supersedes`): a refund that failed or was canceled stops counting, and a
stale "succeeded" delivered after the failure changes nothing. Some sources also state
a running total (Stripe's `amount_refunded` per charge, a store's "refunded" status):
those are cumulative rows, newest by time per source. A running total stated before a
refund failed still counts that refund, so refunds that failed after it are taken out.

Per source, the refunded amount is the larger of its standing refunds and its running
total; across sources (a WooCommerce order and the Stripe charge behind it report the
same money) the largest source counts, never the sum.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from shopsync.models import Order, Refund
from shopsync.models.vocabulary import Milestone, RefundStatus
from shopsync.orders.lifecycle import supersedes
from shopsync.orders.payments import settle_payment
from shopsync.orders.timeline import add_milestone
from shopsync.work import UnitOfWork

STANDING = frozenset({RefundStatus.PENDING, RefundStatus.SUCCEEDED})
# At equal times the later stage of a refund's life wins.
STATUS_RANK = {
    RefundStatus.PENDING: 0,
    RefundStatus.SUCCEEDED: 1,
    RefundStatus.FAILED: 2,
    RefundStatus.CANCELED: 3,
}


@dataclass(frozen=True)
class RefundFacts:
    """One refund as a source reports it."""

    # "<source>:refund:<provider id>": the prefix names the source.
    refund_id: str
    amount: int
    status: RefundStatus = RefundStatus.SUCCEEDED
    # When the provider made it, and when it had this status (default: the work's time).
    created_at: datetime | None = None
    as_of: datetime | None = None


def record_refund(work: UnitOfWork, order: Order, facts: RefundFacts) -> None:
    """Remember the refund's newest status (counted once by id), then recount."""
    row = _row(work, order, facts.refund_id)
    at = facts.as_of or work.at
    if row is None:
        row = Refund(
            store_id=order.store_id,
            order_id=_id(order),
            external_id=facts.refund_id,
            amount=facts.amount,
            status=facts.status,
            source_updated_at=at,
        )
    elif supersedes(at, STATUS_RANK[facts.status], row.source_updated_at, _rank(row)):
        row.amount, row.status, row.source_updated_at = facts.amount, facts.status, at
    row.source_created_at = row.source_created_at or facts.created_at
    work.session.add(row)
    recount(work, order)


def record_refunded_total(
    work: UnitOfWork, order: Order, *, key: str, amount: int, as_of: datetime | None = None
) -> None:
    """A source's running total refunded (`key`: "<source>:<what it totals>"); newest wins."""
    row = _row(work, order, key)
    at = as_of or work.at
    if row is None:
        row = Refund(
            store_id=order.store_id,
            order_id=_id(order),
            external_id=key,
            amount=amount,
            cumulative=True,
            source_updated_at=at,
        )
    elif supersedes(at, amount, row.source_updated_at, row.amount):
        row.amount, row.source_updated_at = amount, at
    work.session.add(row)
    recount(work, order)


def claim_refunded(work: UnitOfWork, order: Order, amount: int) -> None:
    """What the order's newest snapshot says was refunded (call only for the newest)."""
    if order.claimed_refunded == amount or (amount == 0 and order.refunded_amount == 0):
        # Nothing changes: no refund can count more than an order that shows none.
        order.claimed_refunded = amount
        return
    order.claimed_refunded = amount
    recount(work, order)


def recount(work: UnitOfWork, order: Order) -> None:
    """Recompute the refunded amount; less than before means a refund did not go through."""
    work.session.flush()
    rows = work.session.exec(select(Refund).where(Refund.order_id == order.id)).all()
    refunded = max(refunded_by_source(rows), order.claimed_refunded or 0)
    if refunded < order.refunded_amount:
        add_milestone(work, order, Milestone.REFUND_FAILED)
    order.refunded_amount = refunded
    settle_payment(work, order)


def refunded_by_source(rows: Iterable[Refund]) -> int:
    """The largest amount any one source says went back."""
    by_source: dict[str, list[Refund]] = defaultdict(list)
    for row in rows:
        by_source[row.external_id.split(":", 1)[0]].append(row)
    return max((_source_total(group) for group in by_source.values()), default=0)


def _source_total(rows: list[Refund]) -> int:
    refunds = [row for row in rows if not row.cumulative]
    standing = sum(row.amount for row in refunds if row.status in STANDING)
    totals = [_still_standing(row, refunds) for row in rows if row.cumulative]
    return max([standing, *totals])


def _still_standing(total: Refund, refunds: list[Refund]) -> int:
    """A running total less the refunds it counted that have failed since it was stated."""
    stated = total.source_updated_at
    withdrawn = sum(
        row.amount
        for row in refunds
        if row.status not in STANDING
        and _after(row.source_updated_at, stated)
        and not _after(row.source_created_at, stated)
    )
    return max(total.amount - withdrawn, 0)


def _after(moment: datetime | None, stated: datetime | None) -> bool:
    """Whether `moment` is after `stated`; an unknown statement time is the earliest."""
    if moment is None:
        return False
    return stated is None or moment > stated


def _row(work: UnitOfWork, order: Order, external_id: str) -> Refund | None:
    statement = select(Refund).where(
        Refund.store_id == order.store_id, Refund.external_id == external_id
    )
    return work.session.exec(statement).first()


def _rank(row: Refund) -> int:
    return STATUS_RANK[RefundStatus(row.status)]


def _id(order: Order) -> int:
    assert order.id is not None
    return order.id
