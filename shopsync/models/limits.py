"""Column sizes read from the models, so callers clip text to what the table holds."""

from __future__ import annotations

from functools import cache

from sqlmodel import SQLModel


@cache
def column_limit(model: type[SQLModel], name: str) -> int:
    """The maximum length of a string column (ValueError if it has none)."""
    length = model.__table__.c[name].type.length  # type: ignore[attr-defined]
    if not isinstance(length, int):
        raise ValueError(f"{model.__name__}.{name} has no length limit")
    return length
