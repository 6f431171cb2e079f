"""Times as the access rule compares them: aware UTC (SQLite hands back naive UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def maybe_aware(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def iso(value: datetime | None) -> str | None:
    """`2026-12-01T10:00:00Z`, as the API and the pushes write times."""
    if value is None:
        return None
    return aware(value).isoformat().replace("+00:00", "Z")
