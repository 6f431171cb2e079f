"""The inbox as the admin shows it: filtered lists, one event in full, replays."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.admin.rows import Page, ids_in_store, newest_page
from shopsync.admin.wakeups import Queued, wake
from shopsync.models import EventStatus, Order, TimelineEntry, WebhookEvent
from shopsync.pipeline import inbox, jobs
from shopsync.runtime import Runtime

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
    return newest_page(
        engine,
        WebhookEvent,
        store_id=store_id,
        before=filters.before,
        provider=filters.provider,
        event_type=filters.event_type,
        status=filters.status,
    )


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


def replay(rt: Runtime, *, store_id: int, event_ids: Sequence[int]) -> Queued | None:
    """Run these events' handlers again (effects stay exactly-once: handlers are idempotent).

    None when none of the ids is this store's; an event being worked is left alone.
    """
    mine = ids_in_store(rt.engine, WebhookEvent, store_id=store_id, ids=event_ids)
    return _replay(rt, mine) if mine else None


def replay_dead(rt: Runtime, *, store_id: int) -> Queued:
    dead = ids_in_store(rt.engine, WebhookEvent, store_id=store_id, statuses=[EventStatus.DEAD])
    return _replay(rt, dead)


def _replay(rt: Runtime, ids: list[int]) -> Queued:
    reset = inbox.reset_for_replay(rt.engine, ids, grace=rt.settings.relay_grace) if ids else []
    return wake(lambda: jobs.wake_workers(rt.redis, reset), reset)
