"""The outbox as the admin shows it: what was sent, waits or failed, and replays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from redis import Redis
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.admin.events import pretty_payload
from shopsync.admin.paging import PAGE_SIZE, Page, page_of
from shopsync.admin.wakeups import Queued, wake
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus, StoreSubscriber
from shopsync.outbox.jobs import wake_senders
from shopsync.outbox.rows import OUTBOX

KINDS = tuple(kind.value for kind in OutboxKind)
STATUSES = tuple(status.value for status in OutboxStatus)
# Waiting messages are already on their way; replaying them would only reset attempts.
REPLAYABLE = (OutboxStatus.DEAD, OutboxStatus.FAILED, OutboxStatus.SKIPPED, OutboxStatus.SENT)


@dataclass(frozen=True)
class MessageFilter:
    kind: str | None = None
    status: str | None = None
    before: int | None = None


@dataclass(frozen=True)
class MessageDetail:
    message: OutboxMessage
    payload: str
    # Where a store webhook goes (None for other kinds, or a removed subscriber).
    subscriber_url: str | None

    @property
    def replayable(self) -> bool:
        return self.message.status in REPLAYABLE


def list_messages(engine: Engine, *, store_id: int, filters: MessageFilter) -> Page[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.store_id == store_id)
    if filters.kind:
        statement = statement.where(OutboxMessage.kind == filters.kind)
    if filters.status:
        statement = statement.where(OutboxMessage.status == filters.status)
    if filters.before:
        statement = statement.where(col(OutboxMessage.id) < filters.before)
    statement = statement.order_by(col(OutboxMessage.id).desc()).limit(PAGE_SIZE + 1)
    with Session(engine) as session:
        return page_of(list(session.exec(statement)))


def message_detail(engine: Engine, *, store_id: int, message_id: int) -> MessageDetail | None:
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        if message is None or message.store_id != store_id:
            return None
        return MessageDetail(
            message=message,
            payload=pretty_payload(message.payload),
            subscriber_url=_subscriber_url(session, message),
        )


def _subscriber_url(session: Session, message: OutboxMessage) -> str | None:
    if message.kind != OutboxKind.STORE_WEBHOOK or not message.target.isdigit():
        return None
    subscriber = session.get(StoreSubscriber, int(message.target))
    if subscriber is None or subscriber.store_id != message.store_id:
        return None
    return subscriber.url


def replay(
    engine: Engine,
    redis: Redis,
    *,
    store_id: int,
    message_ids: Sequence[int],
    grace: timedelta,
) -> Queued | None:
    """Send again (receivers dedupe on the message id, which stays the same).

    None when none of the ids is this store's; messages still on their way are left alone.
    """
    statement = select(OutboxMessage.id, OutboxMessage.status).where(
        OutboxMessage.store_id == store_id, col(OutboxMessage.id).in_(list(message_ids))
    )
    with Session(engine) as session:
        mine = list(session.exec(statement))
    if not mine:
        return None
    replayable = [i for i, status in mine if i is not None and status in REPLAYABLE]
    reset = OUTBOX.reset(engine, replayable, grace=grace)
    return wake(lambda: wake_senders(redis, reset), reset)


def replay_dead(engine: Engine, redis: Redis, *, store_id: int, grace: timedelta) -> Queued:
    statement = select(OutboxMessage.id).where(
        OutboxMessage.store_id == store_id, OutboxMessage.status == OutboxStatus.DEAD
    )
    with Session(engine) as session:
        dead = [i for i in session.exec(statement) if i is not None]
    reset = OUTBOX.reset(engine, dead, grace=grace)
    return wake(lambda: wake_senders(redis, reset), reset)
