"""The dashboard: how a store's webhooks are doing and what needs someone's attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.models import (
    EventStatus,
    Order,
    OutboxMessage,
    OutboxStatus,
    StoreSubscriber,
    WebhookEvent,
)
from shopsync.outbox.jobs import LANE as OUTBOX_LANE
from shopsync.pipeline.jobs import LANE as INBOX_LANE

RECENT = timedelta(hours=1)
# Work not finished yet; parked events wait for something else and are counted apart.
INBOX_WAITING = (EventStatus.RECEIVED, EventStatus.RETRY, EventStatus.PROCESSING)
OUTBOX_WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.RETRY)
ATTENTION_LIMIT = 10


@dataclass(frozen=True)
class Backlog:
    waiting: int
    oldest: datetime | None
    # Ids in Redis waiting for a worker, for the whole installation (None: Redis is down).
    queued: int | None


@dataclass(frozen=True)
class Dashboard:
    # (provider, status, count) of events received in the last hour.
    recent_events: list[tuple[str, str, int]]
    inbox: Backlog
    parked: int
    outbox: Backlog
    dead_events: int
    undelivered_messages: int
    attention_orders: list[Order]
    disabled_subscribers: list[StoreSubscriber]

    @property
    def recent_providers(self) -> list[str]:
        return sorted({provider for provider, _, _ in self.recent_events})

    @property
    def recent_statuses(self) -> list[str]:
        return sorted({status for _, status, _ in self.recent_events})

    def recent_count(self, provider: str, status: str) -> int:
        return sum(n for p, s, n in self.recent_events if p == provider and s == status)

    @property
    def needs_attention(self) -> bool:
        return bool(
            self.dead_events
            or self.undelivered_messages
            or self.attention_orders
            or self.disabled_subscribers
        )


def dashboard(engine: Engine, redis: Redis, *, store_id: int) -> Dashboard:
    with Session(engine) as session:
        return Dashboard(
            recent_events=_recent_events(session, store_id),
            inbox=Backlog(
                *_backlog(session, store_id, WebhookEvent, INBOX_WAITING, "received_at"),
                queued=_queued(redis, INBOX_LANE.list_key),
            ),
            parked=_count(session, WebhookEvent, store_id, (EventStatus.PARKED,)),
            outbox=Backlog(
                *_backlog(session, store_id, OutboxMessage, OUTBOX_WAITING, "created_at"),
                queued=_queued(redis, OUTBOX_LANE.list_key),
            ),
            dead_events=_count(session, WebhookEvent, store_id, (EventStatus.DEAD,)),
            undelivered_messages=_count(
                session, OutboxMessage, store_id, (OutboxStatus.FAILED, OutboxStatus.DEAD)
            ),
            attention_orders=_attention_orders(session, store_id),
            disabled_subscribers=_disabled_subscribers(session, store_id),
        )


def _recent_events(session: Session, store_id: int) -> list[tuple[str, str, int]]:
    statement = (
        select(col(WebhookEvent.provider), col(WebhookEvent.status), func.count())
        .where(WebhookEvent.store_id == store_id, WebhookEvent.received_at >= utcnow() - RECENT)
        .group_by(col(WebhookEvent.provider), col(WebhookEvent.status))
    )
    return [(str(p), str(s), int(n)) for p, s, n in session.exec(statement)]


def _backlog(
    session: Session,
    store_id: int,
    model: type[WebhookEvent] | type[OutboxMessage],
    statuses: tuple[str, ...],
    since: str,
) -> tuple[int, datetime | None]:
    statement = select(func.count(), func.min(getattr(model, since))).where(
        model.store_id == store_id, col(model.status).in_(statuses)
    )
    count, oldest = session.exec(statement).one()
    return int(count), oldest


def _count(
    session: Session,
    model: type[WebhookEvent] | type[OutboxMessage],
    store_id: int,
    statuses: tuple[str, ...],
) -> int:
    statement = select(func.count()).where(
        model.store_id == store_id, col(model.status).in_(statuses)
    )
    return int(session.exec(statement).one())


def _attention_orders(session: Session, store_id: int) -> list[Order]:
    statement = (
        select(Order)
        .where(Order.store_id == store_id, col(Order.needs_attention).is_not(None))
        .order_by(col(Order.updated_at).desc())
        .limit(ATTENTION_LIMIT)
    )
    return list(session.exec(statement))


def _disabled_subscribers(session: Session, store_id: int) -> list[StoreSubscriber]:
    statement = select(StoreSubscriber).where(
        StoreSubscriber.store_id == store_id, col(StoreSubscriber.enabled).is_(False)
    )
    return list(session.exec(statement))


def _queued(redis: Redis, key: str) -> int | None:
    try:
        return int(redis.llen(key))
    except RedisError:
        return None
