"""An order's line items and shipments, read once per transaction.

A paid order's webhook body and its email both list the order's items and shipments,
and a brand-new order has none yet: reading them from the database for each would cost
a statement per list per reader. The lists are kept in the session until something
could change them:
- adding a line item or a shipment to the session forgets that order's list;
- a pending delete (not flushed yet) makes every read go to the database;
- the worker forgets them all when it rolls back to a savepoint (`forget`).
Changes to a listed row itself need nothing: the list holds the session's own objects.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import event
from sqlmodel import Session, col, select

from shopsync.models import OrderLineItem, Shipment

CACHE_KEY = "shopsync.order_children"
CHILDREN = (OrderLineItem, Shipment)
Child = TypeVar("Child", OrderLineItem, Shipment)


def children(session: Session, model: type[Child], order_id: int) -> list[Child]:
    """The order's rows of `model` (line items or shipments), oldest first."""
    cache = _cache(session)
    key = (model.__name__, order_id)
    if key not in cache or any(isinstance(row, CHILDREN) for row in session.deleted):
        statement = select(model).where(model.order_id == order_id).order_by(col(model.id))
        cache[key] = list(session.exec(statement))
    return list(cache[key])


def start_children(session: Session, order_id: int) -> None:
    """A brand-new order has no line items or shipments yet: no need to ask."""
    cache = _cache(session)
    for model in CHILDREN:
        cache[model.__name__, order_id] = []


def forget(session: Session) -> None:
    session.info.pop(CACHE_KEY, None)


def _cache(session: Session) -> dict[tuple[str, int], list[Any]]:
    cache: dict[tuple[str, int], list[Any]] = session.info.setdefault(CACHE_KEY, {})
    return cache


@event.listens_for(Session, "before_attach")
def _forget_on_add(session: Any, instance: object) -> None:
    if isinstance(instance, CHILDREN) and CACHE_KEY in session.info:
        order_id = instance.order_id
        if order_id is None:
            forget(session)
        else:
            session.info[CACHE_KEY].pop((type(instance).__name__, order_id), None)
