"""Reading stores back: the list, and one store with its webhook URLs (and secrets)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from shopsync.crypto import Vault
from shopsync.models import Store, WebhookEndpoint
from shopsync.pipeline.registry import registry
from shopsync.stores.provisioning import UnknownStore, endpoint_url, webhook_url


@dataclass(frozen=True)
class StoreSummary:
    store_id: int
    name: str
    livemode: bool
    stripe_account_id: str | None
    created_at: datetime
    providers: list[str]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class EndpointView:
    provider: str
    url: str
    # Only when asked for (`store show --reveal`): newest first.
    secrets: list[str] | None


@dataclass(frozen=True)
class StoreDetails:
    summary: StoreSummary
    endpoints: list[EndpointView]

    def as_dict(self) -> dict[str, object]:
        document = self.summary.as_dict()
        document["endpoints"] = [
            {k: v for k, v in asdict(e).items() if v is not None} for e in self.endpoints
        ]
        return document


def list_stores(engine: Engine) -> list[StoreSummary]:
    with Session(engine) as session:
        stores = session.exec(select(Store).order_by(col(Store.id))).all()
        endpoints = session.exec(select(WebhookEndpoint)).all()
    providers: dict[int, list[str]] = {}
    for endpoint in endpoints:
        providers.setdefault(endpoint.store_id, []).append(endpoint.provider)
    return [_summary(store, sorted(providers.get(store.id or 0, []))) for store in stores]


def find_store(engine: Engine, store_id: int) -> StoreSummary:
    with Session(engine) as session:
        store = session.get(Store, store_id)
        if store is None:
            raise UnknownStore(f"no store {store_id}")
        statement = select(WebhookEndpoint.provider).where(WebhookEndpoint.store_id == store_id)
        providers = sorted(session.exec(statement).all())
    return _summary(store, providers)


def store_details(
    engine: Engine, vault: Vault, *, store_id: int, public_url: str, reveal: bool = False
) -> StoreDetails:
    """One store; URLs are built from `public_url` now, secrets decrypted only if `reveal`."""
    with Session(engine) as session:
        store = session.get(Store, store_id)
        if store is None:
            raise UnknownStore(f"no store {store_id}")
        statement = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.store_id == store_id)
            .order_by(col(WebhookEndpoint.provider))
        )
        endpoints = session.exec(statement).all()
    views = [_view(endpoint, vault, public_url, reveal=reveal) for endpoint in endpoints]
    return StoreDetails(summary=_summary(store, [e.provider for e in views]), endpoints=views)


def _view(
    endpoint: WebhookEndpoint, vault: Vault, public_url: str, *, reveal: bool
) -> EndpointView:
    key = vault.decrypt(endpoint.key_encrypted)
    secrets = vault.decrypt_list(endpoint.secrets_encrypted) if reveal else None
    provider = registry.provider(endpoint.provider)
    if provider is None:
        url = webhook_url(public_url, endpoint.provider, key)
    else:
        url = endpoint_url(public_url, provider, key, secrets[0] if secrets else None)
    return EndpointView(provider=endpoint.provider, url=url, secrets=secrets)


def _summary(store: Store, providers: list[str]) -> StoreSummary:
    assert store.id is not None
    return StoreSummary(
        store_id=store.id,
        name=store.name,
        livemode=store.livemode,
        stripe_account_id=store.stripe_account_id,
        created_at=store.created_at,
        providers=providers,
    )
