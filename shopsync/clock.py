"""Time in one convention: timezone-aware UTC datetimes (SQLModel stores them as UTC)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parse_iso8601(value: object) -> datetime | None:
    """An ISO 8601 time as aware UTC (naive means UTC); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 shifted by an offset
        return None


# Times as they are compared and written: aware UTC (SQLite hands back naive UTC).
def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def maybe_aware(value: datetime | None) -> datetime | None:
    return None if value is None else aware(value)


def iso(value: datetime | None) -> str | None:
    """`2026-12-01T10:00:00Z`, as the API and the pushes write times."""
    if value is None:
        return None
    return aware(value).isoformat().replace("+00:00", "Z")
