"""A store's email, branding and access settings as the admin's forms change them.

The rules live in the services the CLI uses too (`customers.email_settings`,
`subscriptions.store_rules`); this turns a form's fields into their changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.customers.email_settings import (
    InvalidSetting,
    SettingsChange,
    moments_off,
    settings_of,
    update_settings,
)
from shopsync.customers.moments import EmailMoment
from shopsync.models import StoreSettings
from shopsync.subscriptions.store_rules import (
    FEATURE_SOURCES,
    MAX_GRACE_DAYS,
    InvalidAccessSetting,
    update_access_settings,
)

MOMENTS = tuple(moment.value for moment in EmailMoment)

__all__ = ["FEATURE_SOURCES", "MAX_GRACE_DAYS", "InvalidAccessSetting", "InvalidSetting"]


@dataclass(frozen=True)
class NotificationsForm:
    """What the notifications form sends: the moments ticked, sender, reply-to, age."""

    moments_on: Collection[str]
    email_from: str
    email_from_name: str
    reply_to: str
    max_age_days: str


def store_settings(engine: Engine, *, store_id: int) -> StoreSettings:
    """The store's settings (the defaults when it never changed any)."""
    with Session(engine) as session:
        found = settings_of(session, store_id)
        session.expunge_all()
    return found


def moments_on(settings: StoreSettings) -> set[str]:
    return set(MOMENTS) - moments_off(settings)


def save_notifications(engine: Engine, *, store_id: int, form: NotificationsForm) -> None:
    """Raises InvalidSetting (changing nothing) when a value cannot be used."""
    unknown = set(form.moments_on) - set(MOMENTS)
    if unknown:
        raise InvalidSetting("unknown email moment")
    age = form.max_age_days.strip()
    if not age.isdigit() or len(age) > 4:
        raise InvalidSetting("the maximum age is a whole number of days")
    change = SettingsChange(
        turn_on=tuple(form.moments_on),
        turn_off=tuple(m for m in MOMENTS if m not in form.moments_on),
        email_from=form.email_from,
        email_from_name=form.email_from_name,
        reply_to=form.reply_to,
        max_age_days=int(age),
    )
    update_settings(engine, store_id=store_id, change=change)


def save_branding(engine: Engine, *, store_id: int, colour: str, logo_url: str) -> None:
    """Raises InvalidSetting (changing nothing): a colour that is not #hex, a logo that is
    not an http(s) URL."""
    change = SettingsChange(brand_colour=colour, logo_url=logo_url)
    update_settings(engine, store_id=store_id, change=change)


def save_access(engine: Engine, *, store_id: int, grace_days: str, features: str) -> None:
    """Raises InvalidAccessSetting (changing nothing) when a value cannot be used."""
    days = grace_days.strip()
    if not days.isdigit() or len(days) > 4:
        raise InvalidAccessSetting("the grace period is a whole number of days")
    update_access_settings(engine, store_id=store_id, grace_days=int(days), features=features)
