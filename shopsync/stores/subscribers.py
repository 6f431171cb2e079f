"""The store's subscribers: its own systems' URLs that receive signed order and access webhooks.

Each subscriber has its own Standard Webhooks secrets (`whsec_` + base64, generated
here, encrypted at rest), newest first; while a secret is rolled, deliveries carry one
signature per secret. A subscriber that has failed every delivery for
`DISABLE_AFTER` is disabled and says why; enabling it again starts afresh.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import OutboxKind, StoreSubscriber
from shopsync.outbox.http import TargetPolicy, check_url
from shopsync.outbox.rows import post, write_pending
from shopsync.work import UnitOfWork

SECRET_PREFIX = "whsec_"  # noqa: S105 - the scheme's prefix, not a secret
SECRET_BYTES = 32
ALL_EVENTS = "*"
DISABLE_AFTER = timedelta(days=3)
MAX_SECRETS = 3
ENABLED_CACHE = "shopsync.enabled_subscribers"

# What shopsync tells subscribers about; a subscriber picks some or all ("*").
ORDER_EVENT_TYPES = (
    "order.created",
    "order.paid",
    "order.shipped",
    "order.delivered",
    "order.refunded",
    "order.canceled",
    "order.needs_attention",
    "order.refund_failed",
    "order.restored",
    "order.shipment_canceled",
)
# A customer's access (shopsync.subscriptions): granted, revoked, or changed while kept.
ACCESS_EVENT_TYPES = ("access.granted", "access.revoked", "access.changed")
# A customer's marketing consent changed (customers.consent_news).
CUSTOMER_EVENT_TYPES = ("customer.subscribed", "customer.unsubscribed")
EVENT_TYPES = ORDER_EVENT_TYPES + ACCESS_EVENT_TYPES + CUSTOMER_EVENT_TYPES

# Sent on request to one subscriber, whatever it chose, with a made-up order: lets the
# store check its receiver verifies signatures and parses bodies before real orders flow.
TEST_EVENT_TYPE = "order.test"
TEST_MILESTONE = "test"


class InvalidSubscriber(ShopsyncError):
    """The subscriber's URL or event types cannot work; the message says why."""


@dataclass(frozen=True)
class NewSubscriber:
    """A subscriber as shown once, when its secret is revealed."""

    id: int
    url: str
    event_types: tuple[str, ...]
    secret: str


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def parse_event_types(text: str, known: tuple[str, ...] = EVENT_TYPES) -> tuple[str, ...]:
    """`"*"` or a comma-separated list of known event types."""
    names = tuple(sorted({name.strip() for name in text.split(",") if name.strip()}))
    if names in ((), (ALL_EVENTS,)):
        return (ALL_EVENTS,)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidSubscriber(
            f"unknown event type {', '.join(unknown)} (known: {', '.join(known)})"
        )
    return names


def add_subscriber(
    engine: Engine,
    vault: Vault,
    *,
    store_id: int,
    url: str,
    event_types: tuple[str, ...],
    policy: TargetPolicy,
) -> NewSubscriber:
    problem = check_url(url, policy)
    if problem:
        raise InvalidSubscriber(problem)
    secret = new_secret()
    with transaction(engine) as session:
        subscriber = StoreSubscriber(
            store_id=store_id,
            url=url,
            event_types=",".join(event_types),
            secrets_encrypted=vault.encrypt_list([secret]),
        )
        session.add(subscriber)
        session.flush()
        assert subscriber.id is not None
        return NewSubscriber(id=subscriber.id, url=url, event_types=event_types, secret=secret)


def subscribers_of(session: Session, store_id: int) -> list[StoreSubscriber]:
    statement = (
        select(StoreSubscriber)
        .where(StoreSubscriber.store_id == store_id)
        .order_by(col(StoreSubscriber.id))
    )
    return list(session.exec(statement))


def enabled_subscribers(session: Session, store_id: int) -> list[StoreSubscriber]:
    """The store's enabled subscribers, read once per transaction (most events have none)."""
    cache: dict[int, list[StoreSubscriber]] = session.info.setdefault(ENABLED_CACHE, {})
    if store_id not in cache:
        cache[store_id] = [s for s in subscribers_of(session, store_id) if s.enabled]
    return cache[store_id]


def wants(subscriber: StoreSubscriber, event_type: str) -> bool:
    chosen = subscriber.event_types.split(",")
    return subscriber.enabled and (ALL_EVENTS in chosen or event_type in chosen)


def roll_secret(engine: Engine, vault: Vault, *, store_id: int, subscriber_id: int) -> str:
    """A new secret first; the newest older one keeps signing until the next roll."""
    secret = new_secret()
    with transaction(engine) as session:
        subscriber = _get(session, store_id, subscriber_id)
        kept = vault.decrypt_list(subscriber.secrets_encrypted)[: MAX_SECRETS - 1]
        subscriber.secrets_encrypted = vault.encrypt_list([secret, *kept[:1]])
    return secret


def drop_old_secrets(engine: Engine, vault: Vault, *, store_id: int, subscriber_id: int) -> None:
    with transaction(engine) as session:
        subscriber = _get(session, store_id, subscriber_id)
        newest = vault.decrypt_list(subscriber.secrets_encrypted)[:1]
        subscriber.secrets_encrypted = vault.encrypt_list(newest)


def set_enabled(engine: Engine, *, store_id: int, subscriber_id: int, enabled: bool) -> None:
    with transaction(engine) as session:
        subscriber = _get(session, store_id, subscriber_id)
        subscriber.enabled = enabled
        subscriber.disabled_reason = None if enabled else "disabled by the store"
        subscriber.failing_since = None


def disable(engine: Engine, subscriber_id: int, reason: str) -> None:
    statement = (
        update(StoreSubscriber)
        .where(col(StoreSubscriber.id) == subscriber_id)
        .values(enabled=False, disabled_reason=reason[:300])
    )
    with engine.begin() as connection:
        connection.execute(statement)


def remove_subscriber(engine: Engine, *, store_id: int, subscriber_id: int) -> None:
    with transaction(engine) as session:
        session.delete(_get(session, store_id, subscriber_id))


def _get(session: Session, store_id: int, subscriber_id: int) -> StoreSubscriber:
    subscriber = session.get(StoreSubscriber, subscriber_id)
    if subscriber is None or subscriber.store_id != store_id:
        raise InvalidSubscriber(f"store {store_id} has no subscriber {subscriber_id}")
    return subscriber


def record_success(engine: Engine, subscriber_id: int) -> None:
    statement = (
        update(StoreSubscriber)
        .where(col(StoreSubscriber.id) == subscriber_id)
        .where(col(StoreSubscriber.failing_since).is_not(None))
        .values(failing_since=None)
    )
    with engine.begin() as connection:
        connection.execute(statement)


def record_failure(engine: Engine, subscriber_id: int, *, gave_up: bool) -> bool:
    """Note a failed delivery; disables the subscriber if it has failed for too long.

    Returns whether it was disabled now. Only a message that was given up counts towards
    disabling, so one slow afternoon never disables anyone.
    """
    now = utcnow()
    with transaction(engine) as session:
        subscriber = session.get(StoreSubscriber, subscriber_id)
        if subscriber is None:
            return False
        subscriber.failing_since = subscriber.failing_since or now
        disable_now = gave_up and _failing_for(subscriber, now) >= DISABLE_AFTER
        if disable_now and subscriber.enabled:
            subscriber.enabled = False
            subscriber.disabled_reason = (
                f"every delivery failed since {subscriber.failing_since:%Y-%m-%d %H:%M} UTC"
            )
            return True
    return False


def _failing_for(subscriber: StoreSubscriber, now: datetime) -> timedelta:
    since = subscriber.failing_since or now
    if since.tzinfo is None:  # SQLite hands back naive UTC
        since = since.replace(tzinfo=now.tzinfo)
    return now - since


def post_test_event(work: UnitOfWork, *, subscriber_id: int) -> int:
    """Write a signed `order.test` message to one subscriber; returns the outbox id."""
    subscriber = _get(work.session, work.store_id, subscriber_id)
    stamp = work.at.isoformat().replace("+00:00", "Z")
    post(
        work,
        kind=OutboxKind.STORE_WEBHOOK,
        # Every press sends a new message; a replay of one resends that one.
        key=f"store_webhook:{subscriber.id}:test:{secrets.token_hex(8)}",
        target=str(subscriber.id),
        summary=f"{TEST_EVENT_TYPE} (sent from the admin)",
        payload={
            "type": TEST_EVENT_TYPE,
            "timestamp": stamp,
            "data": {"milestone": TEST_MILESTONE, "order": _sample_order(stamp)},
        },
    )
    written = write_pending(work.session)
    assert len(written) == 1  # the key is new
    work.posted.extend(written)
    return written[0]


def _sample_order(stamp: str) -> dict[str, object]:
    """An order in the shape of real ones, plainly not a real one."""
    return {
        "id": "test",
        "number": "#TEST",
        "state": "paid",
        "email": None,
        "currency": "EUR",
        "total_amount": 4200,
        "payment": {
            "status": "paid",
            "paid_amount": 4200,
            "refunded_amount": 0,
            "disputed": False,
            "dispute_status": None,
        },
        "fulfillment_status": "unfulfilled",
        "canceled": False,
        "needs_attention": None,
        "status_page_token": "test",
        "version": 0,
        "created_at": stamp,
        "updated_at": stamp,
        "line_items": [{"name": "Test item", "sku": None, "quantity": 1, "unit_amount": 4200}],
        "shipments": [],
    }
