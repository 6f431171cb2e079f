"""What every page template may use: money, times, dates, static assets and a CSP nonce."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, g, url_for

from shopsync.money import minor_unit_exponent
from shopsync.status_page.links import safe_link

bp = Blueprint("templating", __name__)


@bp.app_template_filter("money")
def money(amount: int | None, currency: str | None) -> str:
    """`4200, "EUR"` is `42.00 EUR`; minor units follow the currency (JPY has none)."""
    if amount is None:
        return "-"
    if not currency:
        return f"{amount:,}"
    exponent = minor_unit_exponent(currency)
    return f"{amount / 10**exponent:,.{exponent}f} {currency.upper()}"


@bp.app_template_filter("when")
def when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return f"{_utc(moment):%d %b %Y, %H:%M} UTC"


@bp.app_template_filter("age")
def age(moment: datetime | None) -> str:
    """How long ago, roughly: `45 s`, `12 min`, `3 h`, `2 days`."""
    if moment is None:
        return "-"
    seconds = max(0, int((datetime.now(UTC) - _utc(moment)).total_seconds()))
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@bp.app_template_filter("iso")
def iso(moment: datetime | None) -> str:
    return "" if moment is None else _utc(moment).isoformat().replace("+00:00", "Z")


@bp.app_template_filter("day")
def day(value: date | None) -> str:
    return "" if value is None else f"{value:%A} {value.day} {value:%B %Y}"


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time shopsync stores is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@bp.app_template_filter("safe_link")
def link(url: str | None) -> str | None:
    """The URL if it may be an href (http or https, nothing odd), else None."""
    return safe_link(url)


@bp.app_template_global("asset")
def asset(filename: str) -> str:
    """A static file's URL with its content hash, so a new release is never served stale."""
    return url_for("static", filename=filename, v=_digest(filename))


@cache
def _digest(filename: str) -> str:
    static = Path(current_app.static_folder or "")
    return hashlib.sha256((static / filename).read_bytes()).hexdigest()[:12]


@bp.app_template_global("csp_nonce")
def csp_nonce() -> str:
    """This response's nonce for the one inline style a page may carry (the brand colour)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce
