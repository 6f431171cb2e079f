"""A store's rows a page at a time, newest first, and the ids among some that are its own.

Pages go by id (keyset paging: no OFFSET to scan), PAGE_SIZE at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.models import OutboxMessage, WebhookEvent

PAGE_SIZE = 50


class HasId(Protocol):
    @property
    def id(self) -> int | None: ...


Row = TypeVar("Row", bound=HasId)
StoreRow = TypeVar("StoreRow", WebhookEvent, OutboxMessage)


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    # Pass as `before` for the next (older) page; None on the last page.
    next_before: int | None


def page_of(rows: Sequence[Row]) -> Page[Row]:
    """`rows` holds up to PAGE_SIZE + 1 rows: the extra one only says there is more."""
    if len(rows) <= PAGE_SIZE:
        return Page(rows=list(rows), next_before=None)
    shown = list(rows[:PAGE_SIZE])
    return Page(rows=shown, next_before=shown[-1].id)


def newest_page(
    engine: Engine,
    model: type[StoreRow],
    *,
    store_id: int,
    before: int | None,
    **equal: str | None,
) -> Page[StoreRow]:
    """The store's rows older than `before`, where each named column equals its value
    (None: any)."""
    statement = select(model).where(model.store_id == store_id)
    for name, value in equal.items():
        if value:
            statement = statement.where(getattr(model, name) == value)
    if before:
        statement = statement.where(col(model.id) < before)
    statement = statement.order_by(col(model.id).desc()).limit(PAGE_SIZE + 1)
    with Session(engine) as session:
        return page_of(list(session.exec(statement)))


def ids_in_store(
    engine: Engine,
    model: type[StoreRow],
    *,
    store_id: int,
    ids: Sequence[int] | None = None,
    statuses: Sequence[str] | None = None,
) -> list[int]:
    """Which of `ids` (all, when None) are the store's, with one of `statuses` if given."""
    statement = select(model.id).where(model.store_id == store_id)
    if ids is not None:
        statement = statement.where(col(model.id).in_(list(ids)))
    if statuses is not None:
        statement = statement.where(col(model.status).in_(list(statuses)))
    with Session(engine) as session:
        return sorted(i for i in session.exec(statement) if i is not None)


def escape_like(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (with `escape="\\"`)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
