"""Connecting a store's Stripe account: the service behind `shopsync stripe ...` and the
admin's Connections page.

`connect` checks the key against the API, tells test from live, registers shopsync's
webhook endpoint at Stripe for exactly the event types shopsync handles (pinned to the
SDK's API version), keeps the signing secret Stripe returns (only then) and the API key
encrypted. The endpoint's creation uses an idempotency key recorded before the call: a
connect interrupted after Stripe created the endpoint gets the same endpoint and secret
back when run again within 24 hours.

A store holds at most one connection per mode, test and live side by side (a live store
refuses a test key: it ignores test-mode events). Both modes' endpoints deliver to the
store's one Stripe URL, so that endpoint accepts the secrets of every connection.

`roll_secret` registers a second endpoint (a new secret), accepts both secrets for a
day (Stripe delivers every event to both; the second copy is a duplicate by event id),
then `finish_roll` deletes the old endpoint and drops its secret: a job scheduled for
then, with the relay as backstop, or `shopsync stripe roll-secret STORE --finish`.
`disconnect` deletes shopsync's endpoints at Stripe and forgets the key and its secrets.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.clock import aware, utcnow
from shopsync.connections import stripe_endpoint
from shopsync.connections.stripe_api import StripeApi, is_live_key, key_problem
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import Store, StripeConnection
from shopsync.pipeline.registry import registry

PROVIDER = "stripe"
ROLL_OVERLAP = timedelta(days=1)
# Stripe keeps an idempotency key's answer for 24 hours; reuse one younger than this.
IDEMPOTENCY_WINDOW = timedelta(hours=23)
MODES = (True, False)


class StripeConnectionError(ShopsyncError):
    """The connection cannot be made or changed; the message says what to do."""


def mode_name(livemode: bool) -> str:
    return "live" if livemode else "test"


@dataclass(frozen=True)
class ConnectionStatus:
    store_id: int
    livemode: bool
    connected: bool
    account_id: str | None = None
    endpoint_id: str | None = None
    webhook_url: str | None = None
    rolling_until: datetime | None = None
    connected_at: datetime | None = None

    @property
    def mode(self) -> str:
        return mode_name(self.livemode)


@dataclass(frozen=True)
class Services:
    """What connecting needs from the process: the database, the vault, the API."""

    engine: Engine
    vault: Vault
    api: StripeApi


def handled_events() -> list[str]:
    """Exactly the event types shopsync handles: what its endpoints at Stripe ask for."""
    return sorted(registry.providers[PROVIDER].event_types)


def connect(
    services: Services, *, store_id: int, api_key: str, public_url: str, events: Sequence[str]
) -> ConnectionStatus:
    api_key = api_key.strip()
    problem = key_problem(api_key)
    if problem:
        raise StripeConnectionError(problem)
    live = is_live_key(api_key)
    url = _webhook_url(services, store_id, public_url)
    _check_mode(services.engine, store_id, live=live)
    if status(services, store_id=store_id, livemode=live, public_url=public_url).connected:
        raise StripeConnectionError(
            f"store {store_id} is connected to Stripe in {mode_name(live)} mode already: "
            f"disconnect it first (`shopsync stripe disconnect {store_id} "
            f"--mode {mode_name(live)}`)"
        )
    checked = services.api.check_key(api_key)
    idempotency_key = _begin(services, store_id, api_key, checked.account_id)
    endpoint = services.api.create_endpoint(
        api_key, url=url, events=sorted(events), idempotency_key=idempotency_key
    )
    with transaction(services.engine) as session:
        connection = _connection(session, store_id, live)
        connection.endpoint_id = endpoint.id
        connection.pending_key = connection.pending_since = None
        connection.connected_at = utcnow()
        stripe_endpoint.keep_secrets(session, services.vault, connection, [endpoint.secret])
    return status(services, store_id=store_id, livemode=live, public_url=public_url)


def status(
    services: Services, *, store_id: int, livemode: bool, public_url: str
) -> ConnectionStatus:
    with Session(services.engine) as session:
        connection = session.get(StripeConnection, (store_id, livemode))
        url = stripe_endpoint.url_of(session, services.vault, store_id, public_url)
    if connection is None or connection.endpoint_id is None:
        return ConnectionStatus(
            store_id=store_id, livemode=livemode, connected=False, webhook_url=url
        )
    return ConnectionStatus(
        store_id=store_id,
        livemode=livemode,
        connected=True,
        account_id=connection.account_id,
        endpoint_id=connection.endpoint_id,
        webhook_url=url,
        rolling_until=aware(connection.previous_until) if connection.previous_until else None,
        connected_at=aware(connection.connected_at),
    )


def statuses(services: Services, *, store_id: int, public_url: str) -> list[ConnectionStatus]:
    """Both modes, live first."""
    return [
        status(services, store_id=store_id, livemode=mode, public_url=public_url) for mode in MODES
    ]


def connected_modes(engine: Engine, store_id: int) -> list[bool]:
    statement = select(StripeConnection.livemode).where(
        StripeConnection.store_id == store_id, col(StripeConnection.endpoint_id).is_not(None)
    )
    with Session(engine) as session:
        return sorted(session.exec(statement), reverse=True)


def pick_mode(engine: Engine, store_id: int, wanted: bool | None) -> bool:
    """The mode a command means: the one given, else the store's only connection's."""
    if wanted is not None:
        return wanted
    modes = connected_modes(engine, store_id)
    if not modes:
        raise StripeConnectionError(
            f"store {store_id} has no Stripe connection (`shopsync stripe connect`)"
        )
    if len(modes) > 1:
        raise StripeConnectionError(
            f"store {store_id} has a test and a live connection: say which with --mode"
        )
    return modes[0]


def disconnect(services: Services, *, store_id: int, livemode: bool) -> list[str]:
    """Delete shopsync's endpoints at Stripe and forget the key; the endpoint ids deleted."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id, livemode)
        api_key = services.vault.decrypt(connection.api_key_encrypted)
        endpoints = [e for e in (connection.endpoint_id, connection.previous_endpoint_id) if e]
    deleted = [e for e in endpoints if services.api.delete_endpoint(api_key, e)]
    with transaction(services.engine) as session:
        session.delete(_connection(session, store_id, livemode))
        session.flush()
        stripe_endpoint.sync_endpoint(session, services.vault, store_id)
    return deleted


def roll_secret(
    services: Services, *, store_id: int, livemode: bool, public_url: str, events: Sequence[str]
) -> datetime:
    """A new endpoint (new secret); both secrets verify until the returned time."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id, livemode)
        if connection.previous_endpoint_id:
            until = aware(connection.previous_until or utcnow())
            raise StripeConnectionError(
                f"a roll is under way until {until:%Y-%m-%d %H:%M} UTC: finish it first "
                f"(`shopsync stripe roll-secret {store_id} --mode {mode_name(livemode)} "
                "--finish`)"
            )
        api_key = services.vault.decrypt(connection.api_key_encrypted)
    url = _webhook_url(services, store_id, public_url)
    idempotency_key = _begin(services, store_id, api_key, None)
    endpoint = services.api.create_endpoint(
        api_key, url=url, events=sorted(events), idempotency_key=idempotency_key
    )
    until = utcnow() + ROLL_OVERLAP
    with transaction(services.engine) as session:
        connection = _connection(session, store_id, livemode)
        old_secrets = stripe_endpoint.secrets_of(services.vault, connection)
        connection.previous_endpoint_id, connection.previous_until = connection.endpoint_id, until
        connection.endpoint_id = endpoint.id
        connection.pending_key = connection.pending_since = None
        stripe_endpoint.keep_secrets(
            session, services.vault, connection, [endpoint.secret, *old_secrets[:1]]
        )
    return until


def finish_roll(services: Services, *, store_id: int, livemode: bool) -> str | None:
    """Delete the old endpoint at Stripe and stop accepting its secret; its id, if any."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id, livemode)
        old = connection.previous_endpoint_id
        api_key = services.vault.decrypt(connection.api_key_encrypted)
    if old is None:
        return None
    services.api.delete_endpoint(api_key, old)
    with transaction(services.engine) as session:
        connection = _connection(session, store_id, livemode)
        connection.previous_endpoint_id = connection.previous_until = None
        newest = stripe_endpoint.secrets_of(services.vault, connection)[:1]
        stripe_endpoint.keep_secrets(session, services.vault, connection, newest)
    return old


def rolls_due(engine: Engine, now: datetime) -> list[tuple[int, bool]]:
    """(store, mode) of every secret roll that has run its day."""
    statement = select(StripeConnection.store_id, StripeConnection.livemode).where(
        col(StripeConnection.previous_until) <= now
    )
    with Session(engine) as session:
        return [(store_id, livemode) for store_id, livemode in session.exec(statement)]


def rolling_modes(engine: Engine, store_id: int) -> list[bool]:
    statement = select(StripeConnection.livemode).where(
        StripeConnection.store_id == store_id,
        col(StripeConnection.previous_endpoint_id).is_not(None),
    )
    with Session(engine) as session:
        return list(session.exec(statement))


def _begin(services: Services, store_id: int, api_key: str, account_id: str | None) -> str:
    """Record the key and an idempotency key before creating anything at Stripe."""
    now, live = utcnow(), is_live_key(api_key)
    with transaction(services.engine) as session:
        connection = session.get(StripeConnection, (store_id, live))
        if connection is None:
            connection = StripeConnection(
                store_id=store_id,
                livemode=live,
                api_key_encrypted=services.vault.encrypt(api_key),
            )
        fresh = (
            connection.pending_since and now - aware(connection.pending_since) < IDEMPOTENCY_WINDOW
        )
        same_key = services.vault.decrypt(connection.api_key_encrypted) == api_key
        if not (connection.pending_key and fresh and same_key):
            connection.pending_key = f"shopsync-endpoint-{store_id}-{secrets.token_hex(12)}"
            connection.pending_since = now
        connection.api_key_encrypted = services.vault.encrypt(api_key)
        connection.account_id = account_id or connection.account_id
        session.add(connection)
        return connection.pending_key


def _check_mode(engine: Engine, store_id: int, *, live: bool) -> None:
    with Session(engine) as session:
        store = session.get(Store, store_id)
    if store is None:
        raise StripeConnectionError(f"no store {store_id}")
    if store.livemode and not live:
        raise StripeConnectionError(
            f"store {store_id} is live and this is a test key: its test-mode events would be "
            "ignored (use a live key, or a store in test mode)"
        )


def _webhook_url(services: Services, store_id: int, public_url: str) -> str:
    with Session(services.engine) as session:
        try:
            return stripe_endpoint.require_url(session, services.vault, store_id, public_url)
        except stripe_endpoint.MissingEndpoint as missing:
            raise StripeConnectionError(str(missing)) from None


def _connection(session: Session, store_id: int, livemode: bool) -> StripeConnection:
    connection = session.get(StripeConnection, (store_id, livemode))
    if connection is None:
        raise StripeConnectionError(
            f"store {store_id} has no {mode_name(livemode)}-mode Stripe connection "
            "(`shopsync stripe connect`)"
        )
    return connection
