"""The order timeline: one entry per milestone, each pointing at the event that caused it.

Which milestones an order has reached is read once per transaction and then kept in the
session, so an event that adds several costs no extra queries. The worker clears the
cache whenever it rolls back to a savepoint (see processing.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from shopsync.models import Order, TimelineEntry
from shopsync.orders.lifecycle import MILESTONE_MESSAGES
from shopsync.pipeline.registry import EventContext

CACHE_KEY = "shopsync.milestones"


def add_milestone(
    ctx: EventContext,
    order: Order,
    milestone: str,
    detail: str | None = None,
    occurred_at: datetime | None = None,
) -> None:
    """Append a timeline entry unless the order already reached this milestone."""
    assert order.id is not None
    reached = _reached(ctx.session, order.id)
    if milestone in reached:
        return
    reached.add(milestone)
    ctx.session.add(
        TimelineEntry(
            store_id=order.store_id,
            order_id=order.id,
            milestone=milestone,
            message=(detail or MILESTONE_MESSAGES.get(milestone, milestone))[:300],
            webhook_event_id=ctx.event.id,
            occurred_at=occurred_at or ctx.event.occurred_at,
        )
    )


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
