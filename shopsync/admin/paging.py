"""Lists a page at a time, newest first, by id (keyset paging: no OFFSET to scan)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

PAGE_SIZE = 50


class HasId(Protocol):
    @property
    def id(self) -> int | None: ...


Row = TypeVar("Row", bound=HasId)


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
