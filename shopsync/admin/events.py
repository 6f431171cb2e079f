"""The inbox as the admin shows it: filtered lists, one event in full, replays."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl

from redis import Redis
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.admin.paging import PAGE_SIZE, Page, page_of
from shopsync.admin.wakeups import Queued, wake
from shopsync.models import EventStatus, Order, TimelineEntry, WebhookEvent
from shopsync.pipeline import inbox, jobs

STATUSES = tuple(status.value for status in EventStatus)


@dataclass(frozen=True)
class EventFilter:
    provider: str | None = None
    event_type: str | None = None
    status: str | None = None
    # Keyset paging: only events with a smaller id (older ones).
    before: int | None = None


@dataclass(frozen=True)
class EventDetail:
    event: WebhookEvent
    payload: str
    # The orders whose timeline this event wrote, as (id, number).
    orders: list[tuple[int, str]]


def list_events(engine: Engine, *, store_id: int, filters: EventFilter) -> Page[WebhookEvent]:
    statement = select(WebhookEvent).where(WebhookEvent.store_id == store_id)
    if filters.provider:
        statement = statement.where(WebhookEvent.provider == filters.provider)
    if filters.event_type:
        statement = statement.where(WebhookEvent.event_type == filters.event_type)
    if filters.status:
        statement = statement.where(WebhookEvent.status == filters.status)
    if filters.before:
        statement = statement.where(col(WebhookEvent.id) < filters.before)
    statement = statement.order_by(col(WebhookEvent.id).desc()).limit(PAGE_SIZE + 1)
    with Session(engine) as session:
        return page_of(list(session.exec(statement)))


def providers_of(engine: Engine, *, store_id: int) -> list[str]:
    """The providers this store has received events from (for the filter's choices)."""
    statement = select(WebhookEvent.provider).where(WebhookEvent.store_id == store_id).distinct()
    with Session(engine) as session:
        return sorted(session.exec(statement))


def event_detail(engine: Engine, *, store_id: int, event_id: int) -> EventDetail | None:
    with Session(engine) as session:
        event = session.get(WebhookEvent, event_id)
        if event is None or event.store_id != store_id:
            return None
        orders = session.exec(
            select(Order.id, Order.number, Order.external_id)
            .join(TimelineEntry, col(TimelineEntry.order_id) == col(Order.id))
            .where(TimelineEntry.webhook_event_id == event_id, Order.store_id == store_id)
            .distinct()
        ).all()
        return EventDetail(
            event=event,
            payload=pretty_payload(event.payload),
            orders=[(int(i or 0), number or external) for i, number, external in orders],
        )


def pretty_payload(raw: str) -> str:
    """JSON indented; a form-encoded body (Mailchimp) one field a line; else as stored."""
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        pass
    fields = parse_qsl(raw, keep_blank_values=True)
    if fields and "\n" not in raw:
        return "\n".join(f"{name} = {value}" for name, value in fields)
    return raw


def replay(
    engine: Engine,
    redis: Redis,
    *,
    store_id: int,
    event_ids: Sequence[int],
    grace: timedelta,
) -> Queued | None:
    """Run these events' handlers again (effects stay exactly-once: handlers are idempotent).

    None when none of the ids is this store's; an event being worked is left alone.
    """
    statement = select(WebhookEvent.id).where(
        WebhookEvent.store_id == store_id, col(WebhookEvent.id).in_(list(event_ids))
    )
    with Session(engine) as session:
        mine = [i for i in session.exec(statement) if i is not None]
    if not mine:
        return None
    reset = inbox.reset_for_replay(engine, mine, grace=grace)
    return wake(lambda: jobs.wake_workers(redis, reset), reset)


def replay_dead(engine: Engine, redis: Redis, *, store_id: int, grace: timedelta) -> Queued:
    statement = select(WebhookEvent.id).where(
        WebhookEvent.store_id == store_id, WebhookEvent.status == EventStatus.DEAD
    )
    with Session(engine) as session:
        dead = [i for i in session.exec(statement) if i is not None]
    reset = inbox.reset_for_replay(engine, dead, grace=grace) if dead else []
    return wake(lambda: jobs.wake_workers(redis, reset), reset)
