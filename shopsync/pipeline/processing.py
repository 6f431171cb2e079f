"""Working claimed inbox rows: dispatch to handlers, then record exactly one outcome.

Policy, in one place:
- Claimed rows are worked in chunks, each chunk in ONE database transaction: an
  event's business writes and the UPDATE that marks its row commit or vanish together,
  and the chunk pays for one commit (one WAL flush), not one per event.
- A chunk first runs without savepoints. If any handler raises, the transaction rolls
  back and the chunk runs again with a savepoint around each event, so one event's
  failure is contained: what its handlers wrote is rolled back, the rest commits.
- `Ignored` / `Unprocessable` mark the row with the reason and no business write.
- `NotYetKnown` parks the row on the wait key the domain named (an order, a payment, a
  tracking number); work that makes the key known resumes it in the same batch.
- Any other exception is a failed attempt: the row goes to `retry` with exponential
  backoff, and to `dead` after the last attempt. The record says which handler failed,
  the exception's class and the innermost frame of our code, plus a traceback of frames
  and classes only: never a message, which may quote payload data.
- Rows claimed but not committed when the call ends early go back at once, the chunk
  in hand included if its transaction rolled back: a shutdown asks the call to stop
  after the chunk in hand (`should_stop`), and a forced one interrupts the chunk.
- If the database went away, nothing of the chunk is kept and the hand-back fails too;
  the claims expire and the relay hands the rows out again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.config import Settings
from shopsync.db import hold, transaction
from shopsync.errors import (
    EventOutcome,
    Ignored,
    NotYetKnown,
    Unprocessable,
    describe_error,
    message_free_trace,
)
from shopsync.models import EventStatus, Store, WebhookEvent
from shopsync.orders import children
from shopsync.orders.timeline import forget_cached_milestones
from shopsync.outbox import rows as outbox_rows
from shopsync.pipeline import inbox
from shopsync.pipeline.registry import Decoder, EventContext, Handler, Registry
from shopsync.work import Cause, UnitOfWork

log = logging.getLogger(__name__)

# Events per transaction: large enough to amortise the commit, small enough that the
# order rows a batch locks are released quickly.
TRANSACTION_SIZE = 50


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay: timedelta
    lease: timedelta
    # How long a resumed row waits for its wake-up before the relay pushes it again.
    grace: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.max_attempts,
            base_delay=settings.retry_base_delay,
            lease=settings.claim_lease,
            grace=settings.relay_grace,
        )

    def next_attempt_delay(self, attempts: int) -> timedelta | None:
        """10 s, 30 s, 90 s, ... ; None once the attempts are used up."""
        if attempts >= self.max_attempts:
            return None
        delay: timedelta = self.base_delay * (3 ** (attempts - 1))
        return delay


@dataclass
class BatchResult:
    """What a batch did: the rows it worked and the outbox messages they posted."""

    worked: list[int] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)


def process_batch(
    engine: Engine,
    registry: Registry,
    ids: Sequence[int],
    policy: RetryPolicy,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> BatchResult:
    """Claim and work the given rows.

    Events parked for an order that one of these events creates are claimed and worked
    in the same call, right after it. `should_stop` is asked between chunks. The outbox
    messages are committed when this returns: the caller wakes their senders.
    """
    claimed = inbox.claim(engine, ids, lease=policy.lease)
    pending = deque(claimed)
    result = BatchResult()
    try:
        while pending and not should_stop():
            chunk = [pending.popleft() for _ in range(min(TRANSACTION_SIZE, len(pending)))]
            committed = _work_chunk(engine, registry, chunk, policy)
            result.worked.extend(chunk)
            result.posted.extend(committed.posted)
            resumed_claims = inbox.claim(engine, committed.resumed, lease=policy.lease)
            claimed.extend(resumed_claims)
            pending.extend(resumed_claims)
    finally:
        # Only rows still `processing` change: a chunk that committed is left as it is.
        finished = set(result.worked)
        inbox.release(engine, [row for row in claimed if row not in finished])
    return result


def _work_chunk(
    engine: Engine, registry: Registry, chunk: list[int], policy: RetryPolicy
) -> ChunkResult:
    """Work claimed rows in one transaction; returns what resumed and what was posted.

    The chunk first runs without savepoints (two round trips saved per event). If any
    handler raises, that transaction is rolled back and the chunk runs again with a
    savepoint around each event, so the failure is contained and recorded.
    """
    try:
        return _work_chunk_once(engine, registry, chunk, policy, isolate=False)
    except HandlerRaised:
        return _work_chunk_once(engine, registry, chunk, policy, isolate=True)


class HandlerRaised(Exception):
    """A handler raised in a chunk worked without savepoints: redo it with them."""


def _work_chunk_once(
    engine: Engine, registry: Registry, chunk: list[int], policy: RetryPolicy, *, isolate: bool
) -> ChunkResult:
    with transaction(engine) as session:
        batch = Batch(session, chunk, policy.grace)
        for event_id in chunk:
            _work_one(batch, registry, event_id, policy, isolate=isolate)
        return batch.finish()


def _work_one(
    batch: Batch, registry: Registry, event_id: int, policy: RetryPolicy, *, isolate: bool
) -> None:
    session = batch.session
    try:
        context = _prepare(batch, registry, event_id)
    except EventOutcome as outcome:  # raised before any write: nothing to roll back
        session.execute(inbox.finish_statement(event_id, EventStatus(outcome.status), str(outcome)))
        return
    if not isolate:
        # The chunk commits or rolls back whole: its outbox rows go in one statement.
        context.work.defer_outbox = True
        try:
            HandlerRunner(context).run()
        except Exception as error:
            raise HandlerRaised from error
        batch.processed(context)
        return
    runner = HandlerRunner(context)
    try:
        with session.begin_nested():
            runner.run()
    except EventOutcome as outcome:
        _forget_cached(session)
        session.execute(inbox.finish_statement(event_id, EventStatus(outcome.status), str(outcome)))
    except NotYetKnown as missing:
        _forget_cached(session)
        session.execute(inbox.park_statement(event_id, missing.key))
    except Exception as error:
        _forget_cached(session)
        session.execute(_failure_statement(session, event_id, error, policy, runner.current))
    else:
        batch.processed(context)


def _forget_cached(session: Session) -> None:
    """After a rollback to a savepoint: what the session remembers may be gone."""
    forget_cached_milestones(session)
    children.forget(session)
    outbox_rows.discard_pending(session)


class Batch:
    """One chunk's transaction: its rows loaded at once, its outcomes written at once."""

    def __init__(self, session: Session, chunk: list[int], grace: timedelta) -> None:
        self.session = session
        self._grace = grace
        # One query for the chunk: later `session.get` calls hit the identity map, as
        # long as the rows are held (the map itself keeps unchanged rows only weakly).
        hold(session, *session.exec(select(WebhookEvent).where(col(WebhookEvent.id).in_(chunk))))
        self._stores: dict[int, Store | None] = {}
        self._processed: list[int] = []
        self._arrived: dict[int, list[str]] = {}

    def store(self, store_id: int) -> Store | None:
        if store_id not in self._stores:
            self._stores[store_id] = self.session.get(Store, store_id)
        return self._stores[store_id]

    def processed(self, context: EventContext) -> None:
        self._processed.append(context.event.id or 0)
        if context.work.known:
            self._arrived.setdefault(context.event.store_id, []).extend(context.work.known)

    def finish(self) -> ChunkResult:
        """Write the outbox rows, mark the processed rows; returns parked rows resumed."""
        outbox_rows.write_pending(self.session)
        if self._processed:
            self.session.execute(inbox.finish_many_statement(self._processed))
        resumed: list[int] = []
        for store_id, keys in self._arrived.items():
            statement = inbox.unpark_statement(store_id, keys, grace=self._grace)
            resumed.extend(self.session.execute(statement).scalars())
        return ChunkResult(resumed=sorted(resumed), posted=outbox_rows.written_ids(self.session))


@dataclass(frozen=True)
class ChunkResult:
    resumed: list[int]
    posted: list[int]


def _prepare(batch: Batch, registry: Registry, event_id: int) -> EventContext:
    """Everything before the handlers; raises `Ignored`/`Unprocessable` without writing."""
    event = batch.session.get(WebhookEvent, event_id)
    if event is None:
        raise Ignored("inbox row disappeared")
    store = batch.store(event.store_id)
    provider = registry.provider(event.provider)
    if store is None or provider is None:
        raise Ignored("unknown store or provider")
    handlers = registry.handlers_for(event.provider, event.event_type)
    if not handlers:
        raise Ignored(f"no handler for event type {event.event_type[:80]!r}")
    payload = _decode(provider.decode, event.payload)
    assert event.id is not None
    work = UnitOfWork(
        session=batch.session, store=store, cause=Cause.webhook(event.id), at=event.occurred_at
    )
    context = EventContext(event=event, payload=payload, work=work, handlers=handlers)
    if provider.screen is not None:
        provider.screen(context)
    return context


class HandlerRunner:
    """Runs an event's handlers in order, remembering which one is running."""

    def __init__(self, context: EventContext) -> None:
        self.context = context
        self.current: Handler | None = None

    def run(self) -> None:
        for handler in self.context.handlers:
            self.current = handler
            handler(self.context)
        self.current = None
        # Moments become outbox messages in the same transaction (see shopsync.work).
        self.context.work.finish()


def _decode(decode: Decoder, text: str) -> dict[str, Any]:
    try:
        return decode(text)
    except ValueError:  # json.JSONDecodeError included
        raise Unprocessable("stored payload cannot be decoded") from None


def _failure_statement(  # type: ignore[no-untyped-def]
    session: Session,
    event_id: int,
    error: Exception,
    policy: RetryPolicy,
    handler: Handler | None,
):
    event = session.get(WebhookEvent, event_id)
    attempts = event.attempts if event is not None else 1
    delay = policy.next_attempt_delay(attempts)
    description = describe_error(error)
    handler_name = None if handler is None else f"{handler.__module__}.{handler.__qualname__}"
    log.warning(
        "event %s attempt %s failed in %s: %s", event_id, attempts, handler_name, description
    )
    return inbox.fail_statement(
        event_id,
        description,
        retry_at=None if delay is None else utcnow() + delay,
        handler=handler_name,
        trace=message_free_trace(error),
    )
