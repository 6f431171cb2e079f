"""Connecting a store's Stripe account: the service behind `shopsync stripe ...` (and the admin).

`connect` checks the key against the API, tells test from live, registers shopsync's
webhook endpoint at Stripe for exactly the event types shopsync handles (pinned to the
SDK's API version), stores the signing secret Stripe returns (only then) as the store's
Stripe endpoint secret, and keeps the API key encrypted. The endpoint's creation uses an
idempotency key recorded before the call: a connect interrupted after Stripe created
the endpoint gets the same endpoint and secret back when run again within 24 hours.

`roll_secret` registers a second endpoint (a new secret), accepts both secrets for a
day (Stripe delivers every event to both; the second copy is a duplicate by event id),
then `finish_roll` deletes the old endpoint and drops its secret: a job scheduled for
then, with the relay as backstop, or `shopsync stripe roll-secret STORE --finish`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.clock import utcnow
from shopsync.connections.stripe_api import StripeApi, is_live_key, key_problem
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ProviderError, ShopsyncError
from shopsync.models import Store, StripeConnection, WebhookEndpoint
from shopsync.stores.provisioning import webhook_url
from shopsync.subscriptions.times import aware

log = logging.getLogger(__name__)
PROVIDER = "stripe"
ROLL_OVERLAP = timedelta(days=1)
# Stripe keeps an idempotency key's answer for 24 hours; reuse one younger than this.
IDEMPOTENCY_WINDOW = timedelta(hours=23)


class StripeConnectionError(ShopsyncError):
    """The connection cannot be made or changed; the message says what to do."""


@dataclass(frozen=True)
class ConnectionStatus:
    store_id: int
    connected: bool
    livemode: bool | None = None
    account_id: str | None = None
    endpoint_id: str | None = None
    webhook_url: str | None = None
    rolling_until: datetime | None = None


@dataclass(frozen=True)
class Services:
    """What connecting needs from the process: the database, the vault, the API."""

    engine: Engine
    vault: Vault
    api: StripeApi


def connect(
    services: Services, *, store_id: int, api_key: str, public_url: str, events: Sequence[str]
) -> ConnectionStatus:
    api_key = api_key.strip()
    problem = key_problem(api_key)
    if problem:
        raise StripeConnectionError(problem)
    url = _webhook_url(services, store_id, public_url)
    _check_mode(services.engine, store_id, live=is_live_key(api_key))
    if status(services, store_id=store_id, public_url=public_url).connected:
        raise StripeConnectionError(
            f"store {store_id} is connected already: `shopsync stripe disconnect {store_id}` first"
        )
    checked = services.api.check_key(api_key)
    idempotency_key = _begin(services, store_id, api_key, checked.account_id)
    endpoint = services.api.create_endpoint(
        api_key, url=url, events=sorted(events), idempotency_key=idempotency_key
    )
    with transaction(services.engine) as session:
        connection = _connection(session, store_id)
        connection.endpoint_id = endpoint.id
        connection.pending_key = connection.pending_since = None
        _set_secrets(session, services.vault, store_id, [endpoint.secret])
    return status(services, store_id=store_id, public_url=public_url)


def status(services: Services, *, store_id: int, public_url: str) -> ConnectionStatus:
    with Session(services.engine) as session:
        connection = session.get(StripeConnection, store_id)
        url = _url_of(session, services.vault, store_id, public_url)
    if connection is None or connection.endpoint_id is None:
        return ConnectionStatus(store_id=store_id, connected=False, webhook_url=url)
    return ConnectionStatus(
        store_id=store_id,
        connected=True,
        livemode=connection.livemode,
        account_id=connection.account_id,
        endpoint_id=connection.endpoint_id,
        webhook_url=url,
        rolling_until=aware(connection.previous_until) if connection.previous_until else None,
    )


def disconnect(services: Services, *, store_id: int) -> list[str]:
    """Delete shopsync's endpoints at Stripe and forget the key; the endpoint ids deleted."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id)
        api_key = services.vault.decrypt(connection.api_key_encrypted)
        endpoints = [e for e in (connection.endpoint_id, connection.previous_endpoint_id) if e]
    deleted = [e for e in endpoints if services.api.delete_endpoint(api_key, e)]
    with transaction(services.engine) as session:
        session.delete(_connection(session, store_id))
    return deleted


def roll_secret(
    services: Services, *, store_id: int, public_url: str, events: Sequence[str]
) -> datetime:
    """A new endpoint (new secret); both secrets verify until the returned time."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id)
        if connection.previous_endpoint_id:
            until = aware(connection.previous_until or utcnow())
            raise StripeConnectionError(
                f"a roll is under way until {until:%Y-%m-%d %H:%M} UTC: finish it first "
                f"(`shopsync stripe roll-secret {store_id} --finish`)"
            )
        api_key = services.vault.decrypt(connection.api_key_encrypted)
    url = _webhook_url(services, store_id, public_url)
    idempotency_key = _begin(services, store_id, api_key, None)
    endpoint = services.api.create_endpoint(
        api_key, url=url, events=sorted(events), idempotency_key=idempotency_key
    )
    until = utcnow() + ROLL_OVERLAP
    with transaction(services.engine) as session:
        connection = _connection(session, store_id)
        old_secrets = _secrets(session, services.vault, store_id)
        connection.previous_endpoint_id, connection.previous_until = connection.endpoint_id, until
        connection.endpoint_id = endpoint.id
        connection.pending_key = connection.pending_since = None
        _set_secrets(session, services.vault, store_id, [endpoint.secret, *old_secrets[:1]])
    return until


def finish_roll(services: Services, *, store_id: int) -> str | None:
    """Delete the old endpoint at Stripe and stop accepting its secret; its id, if any."""
    with Session(services.engine) as session:
        connection = _connection(session, store_id)
        old = connection.previous_endpoint_id
        api_key = services.vault.decrypt(connection.api_key_encrypted)
    if old is None:
        return None
    services.api.delete_endpoint(api_key, old)
    with transaction(services.engine) as session:
        connection = _connection(session, store_id)
        connection.previous_endpoint_id = connection.previous_until = None
        _set_secrets(
            session, services.vault, store_id, _secrets(session, services.vault, store_id)[:1]
        )
    return old


def rolls_due(engine: Engine, now: datetime) -> list[int]:
    """Stores whose secret roll has run its day."""
    statement = select(StripeConnection.store_id).where(col(StripeConnection.previous_until) <= now)
    with Session(engine) as session:
        return list(session.exec(statement))


def api_key_of(session: Session, vault: Vault, store_id: int) -> str | None:
    """The store's connected API key, or None when it connected none."""
    connection = session.get(StripeConnection, store_id)
    if connection is None or connection.endpoint_id is None:
        return None
    return vault.decrypt(connection.api_key_encrypted)


@dataclass(frozen=True)
class Reader:
    """Reads a store's Stripe objects with its connected key, when events cannot settle it."""

    api: StripeApi
    api_key: str

    def subscription(self, subscription_id: str) -> dict[str, Any] | None:
        """The subscription as Stripe has it now; None if Stripe cannot say (logged)."""
        try:
            return self.api.subscription(self.api_key, subscription_id)
        except ProviderError as error:
            log.warning("could not re-read a subscription from Stripe: %s", error)
            return None

    def entitlements(self, customer: str) -> list[str] | None:
        try:
            return self.api.active_entitlements(self.api_key, customer)
        except ProviderError as error:
            log.warning("could not read entitlements from Stripe: %s", error)
            return None


_configured: tuple[StripeApi, Vault] | None = None


def configure(api: StripeApi | None, vault: Vault | None) -> None:
    """Set by the process's bootstrap: how handlers reach Stripe with a store's key."""
    global _configured  # noqa: PLW0603 - one per process, like its runtime
    _configured = (api, vault) if api is not None and vault is not None else None


def reader_for(session: Session, store_id: int) -> Reader | None:
    """A reader with the store's connected key, or None (no key connected)."""
    if _configured is None:
        return None
    api, vault = _configured
    api_key = api_key_of(session, vault, store_id)
    return Reader(api=api, api_key=api_key) if api_key else None


def _begin(services: Services, store_id: int, api_key: str, account_id: str | None) -> str:
    """Record the key and an idempotency key before creating anything at Stripe."""
    now = utcnow()
    with transaction(services.engine) as session:
        connection = session.get(StripeConnection, store_id)
        if connection is None:
            connection = StripeConnection(
                store_id=store_id,
                api_key_encrypted=services.vault.encrypt(api_key),
                livemode=is_live_key(api_key),
            )
        fresh = (
            connection.pending_since and now - aware(connection.pending_since) < IDEMPOTENCY_WINDOW
        )
        same_key = services.vault.decrypt(connection.api_key_encrypted) == api_key
        if not (connection.pending_key and fresh and same_key):
            connection.pending_key = f"shopsync-endpoint-{store_id}-{secrets.token_hex(12)}"
            connection.pending_since = now
        connection.api_key_encrypted = services.vault.encrypt(api_key)
        connection.livemode = is_live_key(api_key)
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
            "ignored (use a live key, or a store created with --test-mode)"
        )


def _webhook_url(services: Services, store_id: int, public_url: str) -> str:
    with Session(services.engine) as session:
        url = _url_of(session, services.vault, store_id, public_url)
    if url is None:
        raise StripeConnectionError(
            f"store {store_id} has no Stripe endpoint: "
            f"`shopsync store add-endpoint {store_id} stripe`"
        )
    return url


def _url_of(session: Session, vault: Vault, store_id: int, public_url: str) -> str | None:
    endpoint = _endpoint(session, store_id)
    if endpoint is None:
        return None
    return webhook_url(public_url, PROVIDER, vault.decrypt(endpoint.key_encrypted))


def _endpoint(session: Session, store_id: int) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == PROVIDER
    )
    return session.exec(statement).first()


def _connection(session: Session, store_id: int) -> StripeConnection:
    connection = session.get(StripeConnection, store_id)
    if connection is None:
        raise StripeConnectionError(
            f"store {store_id} has no Stripe connection (`shopsync stripe connect`)"
        )
    return connection


def _secrets(session: Session, vault: Vault, store_id: int) -> list[str]:
    endpoint = _endpoint(session, store_id)
    return vault.decrypt_list(endpoint.secrets_encrypted) if endpoint else []


def _set_secrets(session: Session, vault: Vault, store_id: int, values: list[str]) -> None:
    endpoint = _endpoint(session, store_id)
    if endpoint is None:
        raise StripeConnectionError(f"store {store_id} has no Stripe endpoint")
    endpoint.secrets_encrypted = vault.encrypt_list(values)
    session.add(endpoint)
