"""Reading `data` fields of Standard Webhooks events, checked as the published schema says.

Each reader returns the value (None when absent and optional) or raises `Unprocessable`
naming the field, never quoting its value: reasons reach the admin and the logs.
Length limits are the columns' own, so Postgres never rejects a write that SQLite
would have taken; integers are bounded by Postgres' `integer`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from shopsync.clock import parse_iso8601
from shopsync.errors import Unprocessable
from shopsync.models import Order
from shopsync.models.limits import column_limit
from shopsync.pipeline.registry import EventContext
from shopsync.urls import safe_web_url

MAX_INTEGER = 2_147_483_647


def event_data(ctx: EventContext) -> dict[str, Any]:
    data = ctx.payload.get("data")
    if not isinstance(data, dict):
        raise Unprocessable("event has no data object")
    return data


def text(
    data: dict[str, Any], name: str, *, max_length: int, required: bool = False, label: str = "data"
) -> str | None:
    """A non-blank string, stripped; None when absent or blank."""
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Unprocessable(f"{label}.{name} is required")
        return None
    if not isinstance(value, str):
        raise Unprocessable(f"{label}.{name} must be a string")
    if "\x00" in value:
        raise Unprocessable(f"{label}.{name} contains a NUL character")
    value = value.strip()
    if len(value) > max_length:
        raise Unprocessable(f"{label}.{name} is longer than {max_length} characters")
    return value


def identifier(data: dict[str, Any], name: str) -> str:
    """A required id: a string, or an integer as many platforms number their orders."""
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    # Refused rather than cut beyond what the external id columns hold.
    limit = column_limit(Order, "external_id")
    found = text({name: value}, name, max_length=limit, required=True)
    assert found is not None
    return found


def optional_identifier(data: dict[str, Any], name: str) -> str | None:
    """An id that may be left out."""
    return None if data.get(name) in (None, "") else identifier(data, name)


def integer(
    data: dict[str, Any],
    name: str,
    *,
    minimum: int = 0,
    required: bool = False,
    label: str = "data",
) -> int | None:
    """A whole number (amounts are in the currency's minor unit, never floats)."""
    value = data.get(name)
    if value is None:
        if required:
            raise Unprocessable(f"{label}.{name} is required")
        return None
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or not (minimum <= value <= MAX_INTEGER)
    ):
        raise Unprocessable(f"{label}.{name} must be an integer from {minimum} to {MAX_INTEGER}")
    return value


def choice(
    data: dict[str, Any], name: str, allowed: Collection[str], *, required: bool = False
) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if value not in allowed:
        raise Unprocessable(f"data.{name} must be one of {', '.join(sorted(allowed))}")
    return str(value)


def flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise Unprocessable(f"data.{name} must be true or false")
    return value


def optional_flag(data: dict[str, Any], name: str) -> bool | None:
    """True or false when sent; None when left out (not said)."""
    return None if data.get(name) is None else flag(data, name)


def currency(data: dict[str, Any], *, required: bool) -> str | None:
    value = text(data, "currency", max_length=64, required=required)
    if value is not None and not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise Unprocessable("data.currency must be a 3-letter ISO 4217 code")
    return value.upper() if value else None


def email(data: dict[str, Any]) -> str | None:
    value = text(data, "email", max_length=column_limit(Order, "email"))
    if value is not None and ("@" not in value or any(c.isspace() for c in value)):
        raise Unprocessable("data.email must be an email address")
    return value


def web_url(data: dict[str, Any], name: str, *, max_length: int) -> str | None:
    """An http(s) URL: customers are sent to it, so no `javascript:` or the like."""
    value = text(data, name, max_length=max_length)
    if value is None:
        return None
    url = safe_web_url(value, max_length)
    if url is None:
        raise Unprocessable(f"data.{name} must be an http(s) URL with a host and no password")
    return url


def moment(data: dict[str, Any], name: str) -> datetime | None:
    """An ISO-8601 date or date-time; a time without an offset is taken as UTC."""
    value = text(data, name, max_length=64)
    if value is None:
        return None
    parsed = parse_iso8601(value)
    if parsed is None:
        raise Unprocessable(f"data.{name} must be an ISO-8601 date or date-time")
    return parsed
