"""Reading fields of store-platform payloads (Shopify, WooCommerce) the same lenient way.

(Times, `event_time`, are read this way for every provider.)

These platforms send whole resources whose optional fields may be missing, null, "" or
of another type than documented. Optional fields that cannot be read become None (not
said); what a handler cannot do without raises `Unprocessable` naming the field, never
quoting its value. Text is clipped to the column it is stored in, read from the model
(`column_limit`), so Postgres never refuses what SQLite took.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from shopsync.clock import parse_iso8601, utcnow
from shopsync.errors import Unprocessable
from shopsync.models import WebhookEvent
from shopsync.models.limits import column_limit
from shopsync.money import InvalidAmount, to_minor_units
from shopsync.work import UnitOfWork

# Quantities are stored in 32-bit integer columns.
MAX_QUANTITY = 2**31 - 1
# Room a provider's id leaves in prefixed keys ("shopify:refund:<id>") under 255 characters.
ID_LIMIT = 200
# 128 bits of digest end a snapshot key.
DIGEST_LENGTH = 32
MOMENT_LIMIT = 40
# A payload's own time is believed inside this window only: no order on these platforms
# predates 2000, and none is stamped further ahead than clock skew explains.
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(days=1)
MAX_TIME_TEXT = 64


def id_of(obj: dict[str, Any], field: str = "id") -> str:
    """A required id: a number or a non-blank string."""
    value = obj.get(field)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip():
        raise Unprocessable(f"missing {field}")
    return str(value).strip()[:ID_LIMIT]


def objects(value: object) -> list[dict[str, Any]]:
    """The dicts in a JSON list (platforms omit or null empty lists at times)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: object, limit: int) -> str | None:
    """A non-empty string clipped to its column, or None (WooCommerce sends "" for unset)."""
    if not isinstance(value, str) or "\x00" in value:
        return None
    return value.strip()[:limit] or None


def currency_of(obj: dict[str, Any], default: str | None = None) -> str:
    """The object's three-letter `currency`, else `default`, else unprocessable."""
    value = obj.get("currency")
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    if default is None:
        raise Unprocessable("missing or invalid currency")
    return default


def money(value: object, currency: str, what: str, *, signed: bool = False) -> int:
    """An amount in minor units (negative only if `signed`); anything else is unprocessable."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unprocessable(f"missing {what}")
    try:
        amount = to_minor_units(value, currency)
    except InvalidAmount as error:
        raise Unprocessable(f"{what}: {error}") from None
    if amount < 0 and not signed:
        raise Unprocessable(f"{what} is negative")
    return amount


def quantity(value: object) -> int:
    """A line's item count; anything that is not a storable positive integer counts 0."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_QUANTITY:
        return value
    return 0


def person_name(source: object, limit: int) -> str | None:
    """`first_name last_name` of a customer or an address, clipped to `limit`."""
    if not isinstance(source, dict):
        return None
    parts = [text(source.get(key), limit) for key in ("first_name", "last_name")]
    return " ".join(part for part in parts if part)[:limit] or None


def snapshot_key(family: str, resource_id: object, moment: object, body: bytes) -> str:
    """The dedupe key of a signed snapshot: what it is about, as of when, and its bytes.

    For platforms that sign only the body: the family (order, refund, ...), the
    resource id and its own modification time say which change this is, and a digest
    of the exact bytes keeps two changes within the same second apart. Nothing comes
    from unsigned headers, so a body resent under a new event id or another topic of
    the same family is a duplicate, while a real new change is a new key.
    """
    digest = hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH]
    parts = (family, _key_part(resource_id, ID_LIMIT), _key_part(moment, MOMENT_LIMIT))
    head = ":".join(parts)[: column_limit(WebhookEvent, "event_id") - DIGEST_LENGTH - 1]
    return f"{head}:{digest}"


def _key_part(value: object, limit: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return "-"
    cleaned = "".join(c for c in str(value).strip() if c.isprintable())
    return cleaned[:limit] or "-"


def event_time(value: object, *, now: datetime | None = None) -> datetime | None:
    """A payload's ISO 8601 time as aware UTC, or None when it cannot be the real time.

    Python reads "1111…" as a date and the year 9999 as plausible: short text only, and
    only times from 2000 to a day ahead of `now` (default: the clock) are believed.
    """
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        return None
    when = parse_iso8601(value)
    latest = (now or utcnow()) + CLOCK_SKEW
    return when if when is not None and EARLIEST_TIME <= when <= latest else None


def as_of(work: UnitOfWork, moment: object) -> UnitOfWork:
    """The same unit of work, dated by the payload's own time when it has a believable one.

    The copy shares the transaction and the list of keys made known, so nothing done
    through it is lost; only the time its timeline entries carry differs.
    """
    when = event_time(moment)
    return work if when is None else replace(work, at=when)
