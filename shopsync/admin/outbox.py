"""The outbox as the admin shows it: what was sent, waits or failed, and replays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.admin.events import pretty_payload
from shopsync.admin.rows import Page, ids_in_store, newest_page
from shopsync.admin.wakeups import Queued, wake
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus, StoreSubscriber
from shopsync.outbox.jobs import wake_senders
from shopsync.outbox.rows import OUTBOX
from shopsync.runtime import Runtime

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
    return newest_page(
        engine,
        OutboxMessage,
        store_id=store_id,
        before=filters.before,
        kind=filters.kind,
        status=filters.status,
    )


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


def replay(rt: Runtime, *, store_id: int, message_ids: Sequence[int]) -> Queued | None:
    """Send again (receivers dedupe on the message id, which stays the same).

    None when none of the ids is this store's; messages still on their way are left alone.
    """
    mine = ids_in_store(rt.engine, OutboxMessage, store_id=store_id, ids=message_ids)
    if not mine:
        return None
    replayable = ids_in_store(
        rt.engine, OutboxMessage, store_id=store_id, ids=mine, statuses=REPLAYABLE
    )
    return _replay(rt, replayable)


def replay_dead(rt: Runtime, *, store_id: int) -> Queued:
    statuses = [OutboxStatus.DEAD]
    return _replay(rt, ids_in_store(rt.engine, OutboxMessage, store_id=store_id, statuses=statuses))


def _replay(rt: Runtime, ids: list[int]) -> Queued:
    reset = OUTBOX.reset(rt.engine, ids, grace=rt.settings.relay_grace)
    return wake(lambda: wake_senders(rt.redis, reset), reset)
