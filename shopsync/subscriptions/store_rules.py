"""A store's access choices: the grace period of past_due subscriptions, where features come from.

A change applies to every customer at once: their cached answers are dropped (the
store's cache epoch), and each customer is due for a check, so whoever gains or loses
access by the new rule is told by the relay's next pass.
"""

from __future__ import annotations

from sqlalchemy import Engine, update

from shopsync.aftercommit import call_after_commit
from shopsync.clock import utcnow
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import CustomerAccess, Store, StoreSettings
from shopsync.subscriptions import cache
from shopsync.subscriptions.answers import ENTITLEMENTS

FEATURE_SOURCES = ("lookup_keys", ENTITLEMENTS)
MAX_GRACE_DAYS = 60


class InvalidAccessSetting(ShopsyncError):
    """A grace period or feature source that cannot be used; the message says why."""


def update_access_settings(
    engine: Engine, *, store_id: int, grace_days: int | None, features: str | None
) -> StoreSettings:
    if grace_days is not None and not 0 <= grace_days <= MAX_GRACE_DAYS:
        raise InvalidAccessSetting(f"the grace period must be 0 to {MAX_GRACE_DAYS} days")
    if features is not None and features not in FEATURE_SOURCES:
        raise InvalidAccessSetting(f"features come from one of: {', '.join(FEATURE_SOURCES)}")
    with transaction(engine) as session:
        if session.get(Store, store_id) is None:
            raise InvalidAccessSetting(f"no store {store_id}")
        settings = session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        if grace_days is not None:
            settings.access_grace_days = grace_days
        if features is not None:
            settings.features_source = features
        settings.updated_at = utcnow()
        session.add(settings)
        table = CustomerAccess.__table__  # type: ignore[attr-defined]
        session.execute(
            update(table).where(table.c.store_id == store_id).values(next_check_at=utcnow())
        )
        call_after_commit(session, lambda: _forget_store(store_id))
        session.flush()
        session.expunge(settings)
    return settings


def _forget_store(store_id: int) -> None:
    access_cache = cache.current()
    if access_cache is not None:
        access_cache.forget_store(store_id)
