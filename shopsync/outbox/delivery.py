"""Delivering outbox messages after their transaction committed.

Policy, in one place:
- A batch of ids is claimed with one conditional UPDATE (a duplicate wake-up is a no-op).
  A message found `sending` with an expired claim was being sent by a worker that died:
  it is taken again and its `redeliveries` counted, because that worker may have sent it
  before dying. That is the one window for a double send; receivers dedupe on the
  message id (`webhook-id`, `Message-ID`), which is the same on every attempt.
- Messages are handed to their channel grouped by kind; each outcome is recorded the
  moment the channel yields it, so the window is one message, never a batch.
- Sent, failed (refused for good) and skipped are final. A transient failure is retried
  on the channel's schedule (outbox.policy) and becomes `dead` after the last attempt,
  when the channel is told (a store webhook subscriber may be disabled then).
- Whatever was claimed but not reached (the worker is stopping) goes back at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from sqlalchemy import Engine, case, update
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.config import Settings
from shopsync.db import alone
from shopsync.mailchimp.adapter import MailchimpApi
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus
from shopsync.outbox.channels.base import Channel, Outcome
from shopsync.outbox.channels.email import EmailChannel
from shopsync.outbox.channels.mailchimp import MailchimpChannel
from shopsync.outbox.channels.store_webhooks import StoreWebhookChannel
from shopsync.outbox.http import TargetPolicy
from shopsync.outbox.policy import RetrySchedule
from shopsync.outbox.rows import OUTBOX, table
from shopsync.runtime import Runtime

log = logging.getLogger(__name__)
RESULT_LIMIT = 500

ChannelFactory = Callable[[Runtime], Channel]
CHANNELS: dict[OutboxKind, ChannelFactory] = {
    OutboxKind.EMAIL: lambda rt: EmailChannel(rt.engine, rt.settings.smtp),
    OutboxKind.STORE_WEBHOOK: lambda rt: StoreWebhookChannel(
        rt.engine,
        rt.vault,
        policy=TargetPolicy(rt.settings.webhook_targets),
        timeout=rt.settings.outbound_timeout_seconds,
    ),
    OutboxKind.MAILCHIMP: lambda rt: MailchimpChannel(
        rt.engine, rt.vault, MailchimpApi.from_settings(rt.settings)
    ),
}


@dataclass(frozen=True)
class DeliveryPolicy:
    lease: timedelta
    retry_scale: float

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(lease=settings.claim_lease, retry_scale=settings.outbox_retry_scale)


def deliver(rt: Runtime, ids: Sequence[int]) -> int:
    """Claim and send these messages; returns how many attempts were made."""
    policy = DeliveryPolicy.from_settings(rt.settings)
    claimed = claim(rt.engine, ids, lease=policy.lease)
    unreached = set(claimed)
    try:
        for kind, messages in groupby(_load(rt.engine, claimed), key=lambda m: m.kind):
            channel = _channel(rt, OutboxKind(kind))
            schedule = RetrySchedule.for_kind(OutboxKind(kind), policy.retry_scale)
            for message, outcome in channel.deliver(list(messages)):
                assert message.id is not None
                unreached.discard(message.id)
                if record(rt.engine, message, outcome, schedule) is OutboxStatus.DEAD:
                    channel.gave_up(message)
    finally:
        OUTBOX.release(rt.engine, sorted(unreached))
    return len(claimed) - len(unreached)


def claim(engine: Engine, ids: Sequence[int], *, lease: timedelta) -> list[int]:
    """Claim messages; one found mid-send by a lost worker counts as a redelivery."""
    lost_mid_send = case(
        (table.c.status == OutboxStatus.SENDING.value, table.c.redeliveries + 1),
        else_=table.c.redeliveries,
    )
    return OUTBOX.claim(engine, ids, lease=lease, redeliveries=lost_mid_send)


# Which kind a batch sends first: the store's systems act on a webhook (an order.paid
# is the moment to fulfil), so it does not wait behind a batch's emails.
KIND_ORDER = {OutboxKind.STORE_WEBHOOK: 0, OutboxKind.MAILCHIMP: 1, OutboxKind.EMAIL: 2}


def _load(engine: Engine, ids: Sequence[int]) -> list[OutboxMessage]:
    if not ids:
        return []
    statement = select(OutboxMessage).where(col(OutboxMessage.id).in_(list(ids)))
    with Session(engine, expire_on_commit=False) as session:
        messages = list(session.exec(statement))
    return sorted(messages, key=lambda m: (KIND_ORDER.get(OutboxKind(m.kind), 9), m.id or 0))


def _channel(rt: Runtime, kind: OutboxKind) -> Channel:
    factory = CHANNELS.get(kind)
    if factory is None:
        raise LookupError(f"no channel delivers {kind.value} messages")
    return factory(rt)


def record(
    engine: Engine, message: OutboxMessage, outcome: Outcome, schedule: RetrySchedule
) -> OutboxStatus:
    """Write how an attempt ended; returns the message's new status."""
    status, values = _result(message, outcome, schedule)
    statement = (
        update(table)
        .where(table.c.id == message.id, table.c.status == OutboxStatus.SENDING.value)
        .values(
            status=status.value,
            claimed_until=None,
            last_result=outcome.detail[:RESULT_LIMIT],
            **values,
        )
    )
    with alone(engine) as connection:
        connection.execute(statement)
    if status is not OutboxStatus.SENT:
        log.info("outbox %s %s: %s (%s)", message.id, message.kind, status.value, outcome.detail)
    return status


def _result(
    message: OutboxMessage, outcome: Outcome, schedule: RetrySchedule
) -> tuple[OutboxStatus, dict[str, object]]:
    now = utcnow()
    if outcome.status is OutboxStatus.SENT:
        return OutboxStatus.SENT, {"sent_at": now, "next_attempt_at": None}
    if outcome.status is not OutboxStatus.RETRY:
        return outcome.status, {"next_attempt_at": None}
    delay = schedule.delay_after(message.attempts)
    if delay is None:
        return OutboxStatus.DEAD, {"next_attempt_at": None}
    return OutboxStatus.RETRY, {"next_attempt_at": now + delay}
