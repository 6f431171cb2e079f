"""A unit of work: what every caller hands the domain.

A webhook handler, an admin action, a CLI command and a scheduled job all change orders
the same way: they open a transaction, name the store, say what caused the change and
when it happened, and call a domain function with that. The domain never sees the
pipeline's inbox row, so an admin button or a CLI fix-up is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.clock import utcnow
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import Store

# Room a cause's actor leaves in the columns that record it.
ACTOR_LIMIT = 100


class CauseKind(StrEnum):
    WEBHOOK = "webhook"
    ADMIN = "admin"
    CLI = "cli"
    SCHEDULE = "schedule"
    # A customer asked for something (their status link, say) from a public page.
    CUSTOMER = "customer"


@dataclass(frozen=True)
class Cause:
    """Why a change happened: a webhook event (by inbox id), an admin, a command, a job,
    a customer's request."""

    kind: CauseKind
    webhook_event_id: int | None = None
    # Who or what acted: the admin's email, the CLI command, the scheduled job's name.
    actor: str | None = None

    @classmethod
    def webhook(cls, event_id: int) -> Cause:
        return cls(CauseKind.WEBHOOK, webhook_event_id=event_id)

    @classmethod
    def admin(cls, user: str) -> Cause:
        return cls(CauseKind.ADMIN, actor=user[:ACTOR_LIMIT])

    @classmethod
    def cli(cls, command: str) -> Cause:
        return cls(CauseKind.CLI, actor=command[:ACTOR_LIMIT])

    @classmethod
    def schedule(cls, job: str) -> Cause:
        return cls(CauseKind.SCHEDULE, actor=job[:ACTOR_LIMIT])

    @classmethod
    def customer(cls, request: str) -> Cause:
        """A customer's request, named by what was asked (never who asked)."""
        return cls(CauseKind.CUSTOMER, actor=request[:ACTOR_LIMIT])

    @property
    def label(self) -> str:
        """A short, stable description: `webhook:42`, `admin:owner@example.com`."""
        detail = self.webhook_event_id if self.kind is CauseKind.WEBHOOK else self.actor
        return f"{self.kind.value}:{detail or '-'}"


@dataclass(frozen=True)
class Moment:
    """Something that happened to a subject for the first time (an order got paid, say)."""

    subject: str
    subject_id: int
    name: str


@dataclass
class UnitOfWork:
    """One transaction's changes to one store, with their cause and time.

    Besides the session, it collects what the work did that others act on after it:
    wait keys it made known, moments worth telling someone about, and the outbox
    messages written for them (to wake a sender once the transaction commits).
    """

    session: Session
    store: Store
    cause: Cause
    # When the change happened by the source's clock (a webhook's own time), not now.
    at: datetime
    # Wait keys (see shopsync.waits) this work made known; parked events on them resume.
    known: list[str] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)
    # Ids of outbox messages written by this work, to wake a sender after commit.
    posted: list[int] = field(default_factory=list)
    # Set by a caller that holds several units of work in one transaction (the worker's
    # chunk): the outbox rows they post are written by it, all in one statement.
    defer_outbox: bool = False

    @property
    def store_id(self) -> int:
        assert self.store.id is not None
        return self.store.id

    def made_known(self, key: str) -> None:
        self.known.append(key)

    def happened(self, moment: Moment) -> None:
        self.moments.append(moment)

    def finish(self) -> None:
        """Run every finisher once, inside the transaction, before it commits."""
        for finisher in _finishers:
            finisher(self)
        self.moments.clear()
        for step in _last_steps:
            step(self)


Finisher = Callable[[UnitOfWork], None]
_finishers: list[Finisher] = []


def on_finish(finisher: Finisher) -> Finisher:
    """Register a step that turns a unit of work's moments into more writes (outbox rows).

    Domain modules register at import, as they register wait kinds.
    """
    if finisher not in _finishers:
        _finishers.append(finisher)
    return finisher


_last_steps: list[Finisher] = []


def on_finished(step: Finisher) -> Finisher:
    """Register a step that runs after every finisher (writing the outbox rows they posted)."""
    if step not in _last_steps:
        _last_steps.append(step)
    return step


class UnknownStore(ShopsyncError):
    """No store has this id."""


@contextmanager
def unit_of_work(
    engine: Engine, *, store_id: int, cause: Cause, at: datetime | None = None
) -> Iterator[UnitOfWork]:
    """A unit of work in its own transaction, for callers outside the pipeline.

    Events parked on keys this work makes known are resumed by the relay's next pass;
    outbox messages it posts are woken by the caller (`work.posted`) or by the relay.
    """
    with transaction(engine) as session:
        store = session.get(Store, store_id)
        if store is None:
            raise UnknownStore(f"no store {store_id}")
        work = UnitOfWork(session=session, store=store, cause=cause, at=at or utcnow())
        yield work
        work.finish()
