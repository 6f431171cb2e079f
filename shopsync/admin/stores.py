"""A store's settings and its webhook subscribers, as the admin changes them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.admin.users import AdminIdentity, authenticate
from shopsync.admin.wakeups import wake
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import Store, StoreSubscriber
from shopsync.models.limits import column_limit
from shopsync.outbox.http import TargetPolicy
from shopsync.outbox.jobs import wake_senders
from shopsync.pipeline.registry import registry
from shopsync.runtime import Runtime
from shopsync.stores import subscribers
from shopsync.stores.provisioning import ProvisionedStore, create_store
from shopsync.stores.subscribers import InvalidSubscriber, NewSubscriber
from shopsync.work import Cause, unit_of_work

STRIPE_ACCOUNT = re.compile(r"acct_[A-Za-z0-9]{1,200}")

__all__ = ["InvalidSettings", "InvalidSubscriber", "NewSubscriber"]


class InvalidSettings(ShopsyncError):
    """A setting cannot take the value given; the message says why."""


@dataclass(frozen=True)
class StoreSettings:
    name: str
    # Accept Stripe test-mode events (the opposite of the store's `livemode`).
    test_mode: bool
    stripe_account_id: str | None


def settings_of(engine: Engine, *, store_id: int) -> StoreSettings | None:
    with Session(engine) as session:
        store = session.get(Store, store_id)
    if store is None:
        return None
    return StoreSettings(
        name=store.name, test_mode=not store.livemode, stripe_account_id=store.stripe_account_id
    )


def store_name(text: str) -> str:
    name = text.strip()
    if not name or len(name) > column_limit(Store, "name"):
        raise InvalidSettings(f"the name needs 1 to {column_limit(Store, 'name')} characters")
    return name


def add_store(
    engine: Engine, vault: Vault, *, name: str, test_mode: bool, public_url: str
) -> ProvisionedStore:
    """A new store with its endpoints and API key (shown once); raises InvalidSettings."""
    return create_store(
        engine,
        vault,
        registry,
        name=store_name(name),
        public_url=public_url,
        livemode=not test_mode,
    )


def update_settings(engine: Engine, *, store_id: int, wanted: StoreSettings) -> None:
    name = store_name(wanted.name)
    account = (wanted.stripe_account_id or "").strip() or None
    if account is not None and not STRIPE_ACCOUNT.fullmatch(account):
        raise InvalidSettings("a Stripe Connect account id looks like acct_1A2b3C...")
    with transaction(engine) as session:
        store = session.get(Store, store_id)
        if store is None:
            raise InvalidSettings(f"no store {store_id}")
        store.name = name
        store.livemode = not wanted.test_mode
        store.stripe_account_id = account


def subscribers_of(engine: Engine, *, store_id: int) -> list[StoreSubscriber]:
    with Session(engine) as session:
        return subscribers.subscribers_of(session, store_id)


def add_subscriber(
    engine: Engine,
    vault: Vault,
    *,
    store_id: int,
    url: str,
    event_types: list[str],
    policy: TargetPolicy,
) -> NewSubscriber:
    """A new subscriber and its secret (shown once); raises InvalidSubscriber."""
    return subscribers.add_subscriber(
        engine,
        vault,
        store_id=store_id,
        url=url.strip(),
        event_types=subscribers.parse_event_types(",".join(event_types)),
        policy=policy,
    )


def reveal_secrets(
    engine: Engine,
    vault: Vault,
    *,
    user: AdminIdentity,
    password: str,
    store_id: int,
    subscriber_id: int,
) -> list[str] | None:
    """The subscriber's signing secrets, newest first, for a user who re-entered the
    password (None when it was wrong); raises InvalidSubscriber for another store's."""
    if authenticate(engine, email=user.email, password=password) is None:
        return None
    with Session(engine) as session:
        subscriber = session.get(StoreSubscriber, subscriber_id)
    if subscriber is None or subscriber.store_id != store_id:
        raise InvalidSubscriber(f"this store has no subscriber {subscriber_id}")
    return vault.decrypt_list(subscriber.secrets_encrypted)


def send_test_event(rt: Runtime, *, store_id: int, subscriber_id: int, actor: str) -> int:
    """Queue a signed `order.test` message to one subscriber; returns its outbox id.

    Raises InvalidSubscriber when the store has no such subscriber.
    """
    with unit_of_work(rt.engine, store_id=store_id, cause=Cause.admin(actor)) as work:
        message_id = subscribers.post_test_event(work, subscriber_id=subscriber_id)
    wake(lambda: wake_senders(rt.redis, [message_id]), [message_id])
    return message_id
