"""What a store chose about the emails its customers get."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from shopsync.clock import utcnow

DEFAULT_MAX_EMAIL_AGE_DAYS = 3


class StoreSettings(SQLModel, table=True):
    """One row per store that changed a default; a store without one has the defaults."""

    __tablename__ = "store_settings"

    store_id: int = Field(foreign_key="store.id", primary_key=True)
    # Comma-separated email moments the store turned off ("delivered,out_for_delivery").
    emails_off: str = Field(default="", max_length=300)
    email_from: str | None = Field(default=None, max_length=320)
    email_from_name: str | None = Field(default=None, max_length=200)
    reply_to: str | None = Field(default=None, max_length=320)
    # "#rrggbb"; checked when set, and again before it goes into a style attribute.
    brand_colour: str | None = Field(default=None, max_length=7)
    # http(s) only: it is an <img src> in every email.
    logo_url: str | None = Field(default=None, max_length=1000)
    # Events older than this (by the provider's clock) send no email: a replay of last
    # month's events tells customers nothing new.
    email_max_age_days: int = DEFAULT_MAX_EMAIL_AGE_DAYS
    updated_at: datetime = Field(default_factory=utcnow)
