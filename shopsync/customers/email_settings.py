"""What a store chose about its customers' emails: moments, sender, branding, age limit.

A store without a settings row has the defaults: every moment on, sent from the
deployment's default address under the store's name, no reply-to, a neutral colour, no
logo, and nothing sent for events older than three days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.clock import utcnow
from shopsync.customers.customers import normalize_email
from shopsync.customers.moments import EmailMoment
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import Store, StoreSettings
from shopsync.models.limits import column_limit
from shopsync.urls import safe_web_url

DEFAULT_COLOUR = "#1f2937"
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
STORED_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
MAX_AGE_DAYS_LIMIT = 365
CACHE_KEY = "shopsync.store_settings"


class InvalidSetting(ShopsyncError):
    """A store setting that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class SettingsChange:
    """What to change; None leaves a value as it is, "" clears an optional one."""

    turn_off: tuple[str, ...] = ()
    turn_on: tuple[str, ...] = ()
    email_from: str | None = None
    email_from_name: str | None = None
    reply_to: str | None = None
    brand_colour: str | None = None
    logo_url: str | None = None
    max_age_days: int | None = None


def settings_of(session: Session, store_id: int) -> StoreSettings:
    """The store's settings (defaults when it never changed any), read once per transaction."""
    cache: dict[int, StoreSettings] = session.info.setdefault(CACHE_KEY, {})
    if store_id not in cache:
        found = session.get(StoreSettings, store_id)
        cache[store_id] = found if found is not None else StoreSettings(store_id=store_id)
    return cache[store_id]


def moments_off(settings: StoreSettings) -> set[str]:
    return {name for name in settings.emails_off.split(",") if name}


def brand_colour(settings: StoreSettings) -> str:
    """The colour to put in a style attribute: checked again, never trusted as stored."""
    colour = settings.brand_colour or ""
    return colour if STORED_COLOUR.match(colour) else DEFAULT_COLOUR


def update_settings(engine: Engine, *, store_id: int, change: SettingsChange) -> StoreSettings:
    """Apply a change (all or nothing) and return the store's settings after it."""
    with transaction(engine) as session:
        if session.get(Store, store_id) is None:
            raise InvalidSetting(f"no store {store_id}")
        settings = session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        _apply(settings, change)
        settings.updated_at = utcnow()
        session.add(settings)
        session.flush()
        session.expunge(settings)
    return settings


def _apply(settings: StoreSettings, change: SettingsChange) -> None:
    off = (moments_off(settings) | set(_moments(change.turn_off))) - set(_moments(change.turn_on))
    settings.emails_off = ",".join(m.value for m in EmailMoment if m.value in off)
    if change.email_from is not None:
        settings.email_from = _address(change.email_from, "from address")
    if change.email_from_name is not None:
        settings.email_from_name = _display_name(change.email_from_name)
    if change.reply_to is not None:
        settings.reply_to = _address(change.reply_to, "reply-to address")
    if change.brand_colour is not None:
        settings.brand_colour = _colour(change.brand_colour)
    if change.logo_url is not None:
        settings.logo_url = _logo(change.logo_url)
    if change.max_age_days is not None:
        if not 1 <= change.max_age_days <= MAX_AGE_DAYS_LIMIT:
            raise InvalidSetting(f"the maximum age must be 1 to {MAX_AGE_DAYS_LIMIT} days")
        settings.email_max_age_days = change.max_age_days


def _moments(names: tuple[str, ...]) -> list[EmailMoment]:
    known = ", ".join(m.value for m in EmailMoment)
    try:
        return [EmailMoment(name.strip()) for name in names]
    except ValueError:
        raise InvalidSetting(f"unknown email moment; use one of {known}") from None


def _address(value: str, what: str) -> str | None:
    if not value.strip():
        return None
    email = normalize_email(value)
    try:
        valid = email is not None and Address(addr_spec=email).addr_spec == email
    except (HeaderParseError, ValueError, IndexError):
        valid = False
    if not valid or email is None:
        raise InvalidSetting(f"the {what} is not an email address")
    return email


def _display_name(value: str) -> str | None:
    name = value.strip()
    if any(ord(c) < 32 for c in name):
        raise InvalidSetting("the from name must be one line of text")
    if len(name) > column_limit(StoreSettings, "email_from_name"):
        raise InvalidSetting("the from name is too long")
    return name or None


def _colour(value: str) -> str | None:
    if not value.strip():
        return None
    colour = value.strip()
    if not COLOUR.match(colour):
        raise InvalidSetting("the colour must be a hex colour such as #0a7d5a")
    if len(colour) == 4:
        colour = "#" + "".join(c * 2 for c in colour[1:])
    return colour.lower()


def _logo(value: str) -> str | None:
    if not value.strip():
        return None
    url = safe_web_url(value, column_limit(StoreSettings, "logo_url"))
    if url is None:
        raise InvalidSetting("the logo must be an http:// or https:// URL")
    return url
