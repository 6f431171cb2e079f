"""A Checkout order's line items, read from Stripe with the store's key after the order is made.

Stripe's `checkout.session.completed` carries no line items: they take a separate,
paginated API call. Nothing calls Stripe while a webhook is received or while its
handler holds the order's transaction, so:

1. `request`, in the handler's transaction, writes a `LineItemFetch` row for an order
   that lists no items when the store has a key of the event's mode connected; after
   the commit a job is queued for it;
2. `fetch` (the job) claims the row (an attempt counter moved with a conditional
   UPDATE, and a minute's lease, so the job and the relay never both work it), reads
   the items with the key,
   and in one transaction fills them in through the order domain
   (`orders.items.fill_line_items`: only while the order lists none, so a store's own
   snapshot always wins) and deletes the row;
3. a failure keeps the row due later (1 min, 5 min, 30 min, 2 h, 6 h), where the
   relay's pass picks it up, as it picks up a row whose job was lost; Stripe refusing
   the key, a key no longer connected, or the last attempt drop it, logged.

Running it twice is harmless: the second run finds no row, or finds the items there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from shopsync.aftercommit import call_after_commit
from shopsync.clock import aware, utcnow
from shopsync.connections.stripe import Services
from shopsync.connections.stripe_api import CheckoutItem, InvalidApiKey
from shopsync.connections.stripe_reader import api_key_of, is_connected
from shopsync.errors import ProviderError
from shopsync.models import LineItemFetch, Order
from shopsync.models.limits import column_limit
from shopsync.orders.items import LineItemFacts, fill_line_items, line_items
from shopsync.orders.orders import touch
from shopsync.work import Cause, UnitOfWork, unit_of_work

log = logging.getLogger(__name__)
# How long the job has before the relay may take the row (a lost wake-up).
FIRST_WAIT = timedelta(minutes=1)
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
DUE_BATCH = 50
CAUSE = "checkout line items"

Enqueue = Callable[[int], None]
_enqueue: Enqueue | None = None


def configure(enqueue: Enqueue | None) -> None:
    """Set by the bootstrap: how to queue the job after a commit (None: the relay only)."""
    global _enqueue  # noqa: PLW0603 - one queue per process, like its runtime
    _enqueue = enqueue


def request(work: UnitOfWork, order: Order, *, session_id: str, livemode: bool) -> bool:
    """Ask for the order's items from this Checkout Session; whether a read was queued."""
    assert order.id is not None
    # Most stores connect no key: that is the one query they pay.
    if not is_connected(work.session, work.store_id, livemode=livemode) or line_items(work, order):
        return False
    dialect = postgresql if work.session.get_bind().dialect.name == "postgresql" else sqlite
    table = LineItemFetch.__table__  # type: ignore[attr-defined]
    work.session.execute(
        dialect.insert(table)
        .values(
            order_id=order.id,
            store_id=work.store_id,
            session_id=session_id[: column_limit(LineItemFetch, "session_id")],
            livemode=livemode,
            attempts=0,
            next_attempt_at=utcnow() + FIRST_WAIT,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["order_id"])
    )
    enqueue, order_id = _enqueue, order.id
    if enqueue is not None:
        call_after_commit(work.session, lambda: enqueue(order_id))
    return True


def due(engine: Engine, *, now: datetime, limit: int = DUE_BATCH) -> list[int]:
    """Orders whose items are owed and due: a lost job, or a retry whose time came."""
    statement = (
        select(LineItemFetch.order_id)
        .where(col(LineItemFetch.next_attempt_at) <= now)
        .order_by(col(LineItemFetch.next_attempt_at))
        .limit(limit)
    )
    with Session(engine) as session:
        return list(session.exec(statement))


def fetch(engine: Engine, services: Services, *, order_id: int) -> bool:
    """Read and fill one order's items; whether they were filled (see the module doc)."""
    claimed = _claim(engine, order_id)
    if claimed is None:
        return False
    with Session(engine) as session:
        api_key = api_key_of(session, services.vault, claimed.store_id, livemode=claimed.livemode)
    if api_key is None:
        return _drop(engine, claimed, "the store's Stripe key is no longer connected")
    try:
        items = services.api.checkout_line_items(api_key, claimed.session_id)
    except InvalidApiKey as error:
        return _drop(engine, claimed, str(error))
    except ProviderError as error:
        return _later(engine, claimed, str(error))
    return _fill(engine, claimed, items)


def _claim(engine: Engine, order_id: int) -> LineItemFetch | None:
    """The row, now ours for a while, or None (gone, or someone else's turn).

    A row never tried is the job's to take at once; after that only when due (its retry
    time came, or the worker holding it vanished for a minute). The attempt counter
    moves from what was read, so of two claimers the second finds it moved.
    """
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(LineItemFetch, order_id)
        if row is None or (row.attempts and aware(row.next_attempt_at) > now):
            return None
        table = LineItemFetch.__table__  # type: ignore[attr-defined]
        moved = session.execute(
            update(table)
            .where(table.c.order_id == order_id, table.c.attempts == row.attempts)
            .values(attempts=row.attempts + 1, next_attempt_at=now + BACKOFF[0])
        )
        session.commit()
        if getattr(moved, "rowcount", 0) != 1:
            return None
        row.attempts += 1
        return row


def _fill(engine: Engine, row: LineItemFetch, items: list[CheckoutItem]) -> bool:
    facts = [
        LineItemFacts(name=i.name, quantity=i.quantity, unit_amount=i.unit_amount) for i in items
    ]
    with unit_of_work(engine, store_id=row.store_id, cause=Cause.schedule(CAUSE)) as work:
        statement = select(Order).where(Order.id == row.order_id).with_for_update()
        order = work.session.exec(statement).first()
        filled = order is not None and fill_line_items(work, order, facts)
        if order is not None and filled:
            touch(work, order)
        _delete(work.session, row.order_id)
    return filled


def _later(engine: Engine, row: LineItemFetch, reason: str) -> bool:
    if row.attempts >= MAX_ATTEMPTS:
        return _drop(engine, row, reason)
    wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    with Session(engine) as session, session.begin():
        table = LineItemFetch.__table__  # type: ignore[attr-defined]
        session.execute(
            update(table)
            .where(table.c.order_id == row.order_id)
            .values(
                next_attempt_at=utcnow() + wait,
                last_error=reason[: column_limit(LineItemFetch, "last_error")],
            )
        )
    log.warning("line items of order %s not read yet (%s); trying again", row.order_id, reason)
    return False


def _drop(engine: Engine, row: LineItemFetch, reason: str) -> bool:
    with Session(engine) as session, session.begin():
        _delete(session, row.order_id)
    log.warning("line items of order %s will not be read from Stripe: %s", row.order_id, reason)
    return False


def _delete(session: Session, order_id: int) -> None:
    table = LineItemFetch.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.order_id == order_id))
