"""The order timeline: one entry per milestone, each saying what caused it.

Which milestones an order has reached is read once per transaction and then kept in the
session, so work that adds several costs no extra queries. The worker clears the cache
whenever it rolls back to a savepoint (see pipeline/processing.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from shopsync.models import Order, TimelineEntry
from shopsync.orders.lifecycle import MILESTONE_MESSAGES, Milestone
from shopsync.work import Moment, UnitOfWork

CACHE_KEY = "shopsync.milestones"
# Moments about orders are named after their milestones.
ORDER_SUBJECT = "order"
MESSAGE_LIMIT = 300


def add_milestone(
    work: UnitOfWork,
    order: Order,
    milestone: Milestone,
    detail: str | None = None,
    occurred_at: datetime | None = None,
) -> bool:
    """Append a timeline entry unless the order already reached this milestone.

    Returns whether it was added: the first time is the moment to tell anyone.
    """
    assert order.id is not None
    reached = _reached(work.session, order.id)
    if milestone in reached:
        return False
    reached.add(milestone)
    work.session.add(
        TimelineEntry(
            store_id=order.store_id,
            order_id=order.id,
            milestone=milestone,
            message=(detail or MILESTONE_MESSAGES[milestone])[:MESSAGE_LIMIT],
            webhook_event_id=work.cause.webhook_event_id,
            cause=work.cause.label,
            occurred_at=occurred_at or work.at,
        )
    )
    work.happened(Moment(subject=ORDER_SUBJECT, subject_id=order.id, name=milestone.value))
    return True


def start_timeline(session: Session, order_id: int) -> None:
    """A brand-new order has reached nothing yet: no need to ask the database."""
    _cache(session)[order_id] = set()


def forget_cached_milestones(session: Session) -> None:
    session.info.pop(CACHE_KEY, None)


def _reached(session: Session, order_id: int) -> set[str]:
    cache = _cache(session)
    if order_id not in cache:
        statement = select(TimelineEntry.milestone).where(col(TimelineEntry.order_id) == order_id)
        cache[order_id] = set(session.exec(statement))
    return cache[order_id]


def _cache(session: Session) -> dict[int, set[str]]:
    cache: dict[int, set[str]] = session.info.setdefault(CACHE_KEY, {})
    return cache
