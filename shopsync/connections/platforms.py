"""What WooCommerce and Shopify connections share: the stored row, its encrypted
credentials shown only by their last four characters, and the store's endpoint (its URL
and signing secret) that the platform's webhooks deliver to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from shopsync.clock import aware, utcnow
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import PlatformConnection, Store, WebhookEndpoint
from shopsync.stores.provisioning import webhook_url

HINT_LENGTH = 4


class PlatformConnectionError(ShopsyncError):
    """The connection cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class EndpointDetails:
    """Where a platform must deliver and what it must sign with (for setting up by hand)."""

    url: str
    secret: str


@dataclass(frozen=True)
class PlatformStatus:
    provider: str
    connected: bool
    site: str | None = None
    # Each credential's name and its last four characters ("consumer_key": "…3f9a").
    hints: tuple[tuple[str, str], ...] = ()
    # The platform's webhook ids by topic.
    webhooks: tuple[tuple[str, str], ...] = ()
    connected_at: datetime | None = None
    # The shop or site the store's endpoint is pinned to, when the provider pins one.
    pinned: str | None = None


def hint(value: str) -> str:
    """The last four characters, for recognising a credential without showing it."""
    return "…" + value[-HINT_LENGTH:] if len(value) > 2 * HINT_LENGTH else "…"


def status_of(engine: Engine, vault: Vault, *, store_id: int, provider: str) -> PlatformStatus:
    with Session(engine) as session:
        row = session.get(PlatformConnection, (store_id, provider))
        endpoint = find_endpoint(session, store_id, provider)
    pinned = endpoint.account_ref if endpoint else None
    if row is None:
        return PlatformStatus(provider=provider, connected=False, pinned=pinned)
    credentials = credentials_of(vault, row)
    return PlatformStatus(
        provider=provider,
        connected=True,
        site=row.site,
        hints=tuple((name, hint(value)) for name, value in sorted(credentials.items())),
        webhooks=tuple(sorted(json.loads(row.webhooks).items())),
        connected_at=aware(row.connected_at),
        pinned=pinned,
    )


def credentials_of(vault: Vault, row: PlatformConnection) -> dict[str, str]:
    found = json.loads(vault.decrypt(row.credentials_encrypted))
    return {str(k): str(v) for k, v in found.items()}


def stored(engine: Engine, vault: Vault, *, store_id: int, provider: str) -> PlatformConnection:
    """The store's connection to the provider (its credentials still encrypted)."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(PlatformConnection, (store_id, provider))
    if row is None:
        raise PlatformConnectionError(f"the store is not connected to {provider}")
    return row


def save(
    engine: Engine,
    vault: Vault,
    *,
    store_id: int,
    provider: str,
    site: str,
    credentials: dict[str, str],
    webhooks: dict[str, str],
) -> None:
    """Keep (or replace) the store's connection: credentials encrypted, webhook ids."""
    with transaction(engine) as session:
        row = session.get(PlatformConnection, (store_id, provider)) or PlatformConnection(
            store_id=store_id, provider=provider, site=site, credentials_encrypted=""
        )
        row.site = site
        row.credentials_encrypted = vault.encrypt(json.dumps(credentials, sort_keys=True))
        row.webhooks = json.dumps(webhooks, sort_keys=True)
        row.connected_at = utcnow()
        session.add(row)


def forget(engine: Engine, *, store_id: int, provider: str) -> None:
    with transaction(engine) as session:
        row = session.get(PlatformConnection, (store_id, provider))
        if row is not None:
            session.delete(row)


def endpoint_details(
    engine: Engine, vault: Vault, *, store_id: int, provider: str, public_url: str
) -> EndpointDetails:
    """The store's endpoint for the provider: its URL and newest signing secret."""
    with Session(engine) as session:
        if session.get(Store, store_id) is None:
            raise PlatformConnectionError(f"no store {store_id}")
        endpoint = find_endpoint(session, store_id, provider)
    if endpoint is None:
        raise PlatformConnectionError(
            f"store {store_id} has no {provider} endpoint: "
            f"`shopsync store add-endpoint {store_id} {provider}`"
        )
    return EndpointDetails(
        url=webhook_url(public_url, provider, vault.decrypt(endpoint.key_encrypted)),
        secret=vault.decrypt_list(endpoint.secrets_encrypted)[0],
    )


def find_endpoint(session: Session, store_id: int, provider: str) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == provider
    )
    return session.exec(statement).first()
