"""Working claimed inbox rows: dispatch to handlers, then record exactly one outcome.

Policy, in one place:
- A batch of claimed rows is worked in ONE database transaction, each event inside its
  own savepoint. An event's business writes and the UPDATE that marks its row commit
  or vanish together, and the batch pays for one commit (one WAL flush), not one per
  event.
- `Ignored` / `Unprocessable` roll back what the handlers wrote (to the savepoint) and
  mark the row with the reason.
- `OrderNotYetKnown` parks the row until the order (or payment) it names arrives; the
  event that makes it known resumes it in the same batch.
- Any other exception is a failed attempt: the row goes to `retry` with exponential
  backoff, and to `dead` after the last attempt. The recorded error is the exception's
  class and where it was raised: never its message, which may quote payload data.
- If the transaction itself fails (the database went away), nothing of the batch is
  kept; the claims expire and the relay hands the rows out again.
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

# Events per transaction: large enough to amortise the commit, small enough that the
# order rows a batch locks are released quickly.
TRANSACTION_SIZE = 50


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
    in the same call, right after it.
    """
    pending = deque(inbox.claim(engine, ids, lease=policy.lease))
    done: list[int] = []
    try:
        while pending:
            chunk = [pending.popleft() for _ in range(min(TRANSACTION_SIZE, len(pending)))]
            resumed = _work_chunk(engine, registry, chunk, policy)
            done.extend(chunk)
            pending.extend(inbox.claim(engine, resumed, lease=policy.lease))
    finally:
        # On shutdown mid-batch, hand the untouched rows straight back.
        inbox.release(engine, list(pending))
    return done


def _work_chunk(
    engine: Engine, registry: Registry, chunk: list[int], policy: RetryPolicy
) -> list[int]:
    """Work claimed rows in one transaction; returns ids of parked rows they resumed."""
    resumed: list[int] = []
    with transaction(engine) as session:
        stores = StoreCache(session)
        for event_id in chunk:
            resumed.extend(_work_one(session, registry, stores, event_id, policy))
    return resumed


def _work_one(
    session: Session, registry: Registry, stores: StoreCache, event_id: int, policy: RetryPolicy
) -> list[int]:
    try:
        with session.begin_nested():
            context = _dispatch(session, registry, stores, event_id)
            resumed = _resume(session, context)
    except EventOutcome as outcome:
        session.execute(inbox.finish_statement(event_id, EventStatus(outcome.status), str(outcome)))
        return []
    except OrderNotYetKnown as missing:
        session.execute(inbox.park_statement(event_id, missing.external_id))
        return []
    except Exception as error:
        session.execute(_failure_statement(session, event_id, error, policy))
        return []
    session.execute(inbox.finish_statement(event_id, EventStatus.PROCESSED))
    return resumed


class StoreCache:
    """Stores by id for one transaction: a batch touches few stores, many times."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._stores: dict[int, Store | None] = {}

    def get(self, store_id: int) -> Store | None:
        if store_id not in self._stores:
            self._stores[store_id] = self._session.get(Store, store_id)
        return self._stores[store_id]


def _dispatch(
    session: Session, registry: Registry, stores: StoreCache, event_id: int
) -> EventContext:
    event = session.get(WebhookEvent, event_id)
    if event is None:
        raise Ignored("inbox row disappeared")
    store = stores.get(event.store_id)
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


def _resume(session: Session, context: EventContext) -> list[int]:
    """Rows parked on what this event made known (an order, a payment) become ready."""
    if not context.arrived:
        return []
    statement = inbox.unpark_statement(context.event.store_id, context.arrived)
    return sorted(session.execute(statement).scalars())


def _decode(decode: Decoder, text: str) -> dict[str, Any]:
    try:
        return decode(text)
    except (ValueError, json.JSONDecodeError):
        raise Unprocessable("stored payload cannot be decoded") from None


def _failure_statement(  # type: ignore[no-untyped-def]
    session: Session, event_id: int, error: Exception, policy: RetryPolicy
):
    event = session.get(WebhookEvent, event_id)
    attempts = event.attempts if event is not None else 1
    delay = policy.next_attempt_delay(attempts)
    description = describe_error(error)
    log.warning("event %s attempt %s failed: %s", event_id, attempts, description)
    return inbox.fail_statement(
        event_id, description, retry_at=None if delay is None else utcnow() + delay
    )


def describe_error(error: BaseException) -> str:
    """Class and raising location of an error, with no message (it may hold payload data)."""
    if isinstance(error, ShopsyncError):
        return f"{type(error).__name__}: {error}"
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return f"{type(error).__name__}{where}"
