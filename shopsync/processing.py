"""Working claimed inbox rows: dispatch to handlers, then record exactly one outcome.

Policy, in one place:
- Handlers run in ONE transaction together with the UPDATE that marks the row
  processed, so an event's business writes and its status commit or vanish together.
- `Ignored` / `Unprocessable` roll back anything the handlers wrote and mark the row.
- `OrderNotYetKnown` parks the row until the order arrives (see inbox.unpark).
- Any other exception is a failed attempt: the row goes to `retry` with exponential
  backoff, and to `dead` after the last attempt. The recorded error is the exception's
  class and where it was raised: never its message, which may quote payload data.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync import inbox
from shopsync.clock import utcnow
from shopsync.db import transaction
from shopsync.errors import (
    EventOutcome,
    Ignored,
    OrderNotYetKnown,
    ShopsyncError,
    Unprocessable,
)
from shopsync.models import EventStatus, Store, WebhookEvent
from shopsync.registry import Decoder, EventContext, Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: timedelta = timedelta(seconds=10)
    lease: timedelta = timedelta(minutes=2)

    def next_attempt_delay(self, attempts: int) -> timedelta | None:
        """10 s, 30 s, 90 s, ... ; None once the attempts are used up."""
        if attempts >= self.max_attempts:
            return None
        delay: timedelta = self.base_delay * (3 ** (attempts - 1))
        return delay


def process_batch(
    engine: Engine, registry: Registry, ids: Sequence[int], policy: RetryPolicy
) -> list[int]:
    """Claim and work the given rows; returns the ids this call worked.

    Events parked for an order that one of these events creates are claimed and worked
    in the same batch, right after it.
    """
    pending = deque(inbox.claim(engine, ids, lease=policy.lease))
    done: list[int] = []
    try:
        while pending:
            event_id = pending.popleft()
            created = process_claimed(engine, registry, event_id, policy)
            done.append(event_id)
            pending.extend(_resume_parked(engine, created, policy))
    finally:
        # On shutdown mid-batch, hand the untouched rows straight back.
        inbox.release(engine, list(pending))
    return done


def _resume_parked(
    engine: Engine, created: list[tuple[int, str]], policy: RetryPolicy
) -> list[int]:
    ready: list[int] = []
    for store_id, external_id in created:
        ready.extend(inbox.unpark(engine, store_id=store_id, waiting_for=external_id))
    return inbox.claim(engine, ready, lease=policy.lease)


def process_claimed(
    engine: Engine, registry: Registry, event_id: int, policy: RetryPolicy
) -> list[tuple[int, str]]:
    """Work one claimed row; returns (store id, order id) of orders it created."""
    try:
        with transaction(engine) as session:
            context = _dispatch(session, registry, event_id)
            session.execute(inbox.finish_statement(event_id, EventStatus.PROCESSED))
        return [(context.store.id or 0, external_id) for external_id in context.arrived]
    except EventOutcome as outcome:
        _finish(engine, event_id, EventStatus(outcome.status), str(outcome))
    except OrderNotYetKnown as missing:
        with engine.begin() as connection:
            connection.execute(inbox.park_statement(event_id, missing.external_id))
    except Exception as error:
        _record_failure(engine, event_id, error, policy)
    return []


def _dispatch(session: Session, registry: Registry, event_id: int) -> EventContext:
    event = session.get(WebhookEvent, event_id)
    if event is None:
        raise Ignored("inbox row disappeared")
    store = session.get(Store, event.store_id)
    provider = registry.provider(event.provider)
    if store is None or provider is None:
        raise Ignored("unknown store or provider")
    handlers = registry.handlers_for(event.provider, event.event_type)
    if not handlers:
        raise Ignored(f"no handler for event type {event.event_type[:80]!r}")
    payload = _decode(provider.decode, event.payload)
    context = EventContext(session=session, store=store, event=event, payload=payload)
    if provider.screen is not None:
        provider.screen(context)
    for handler in handlers:
        handler(context)
    return context


def _decode(decode: Decoder, text: str) -> dict[str, Any]:
    try:
        return decode(text)
    except (ValueError, json.JSONDecodeError):
        raise Unprocessable("stored payload cannot be decoded") from None


def _finish(engine: Engine, event_id: int, status: EventStatus, reason: str) -> None:
    with engine.begin() as connection:
        connection.execute(inbox.finish_statement(event_id, status, reason))


def _record_failure(engine: Engine, event_id: int, error: Exception, policy: RetryPolicy) -> None:
    attempts = _attempts(engine, event_id)
    delay = policy.next_attempt_delay(attempts)
    retry_at = None if delay is None else utcnow() + delay
    description = describe_error(error)
    log.warning("event %s attempt %s failed: %s", event_id, attempts, description)
    inbox.fail(engine, event_id, description, retry_at=retry_at)


def _attempts(engine: Engine, event_id: int) -> int:
    with Session(engine) as session:
        event = session.get(WebhookEvent, event_id)
        return event.attempts if event is not None else 1


def describe_error(error: BaseException) -> str:
    """Class and raising location of an error, with no message (it may hold payload data)."""
    if isinstance(error, ShopsyncError):
        return f"{type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"
