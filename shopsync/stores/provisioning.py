"""Provisioning stores: the store row, one webhook endpoint per provider, an API key."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from shopsync.crypto import Vault, new_token, same_secret, sha256_hex
from shopsync.db import transaction
from shopsync.models import Store, WebhookEndpoint
from shopsync.pipeline.registry import Registry

API_KEY_PREFIX = "ssk_"
# At most this many signing secrets are accepted at once while a secret is rolled.
MAX_SECRETS_PER_ENDPOINT = 3


@dataclass(frozen=True)
class EndpointCredentials:
    provider: str
    url: str
    secret: str


@dataclass(frozen=True)
class ProvisionedStore:
    """Everything shown once when a store is created (the API key is never shown again)."""

    store_id: int
    name: str
    api_key: str
    endpoints: list[EndpointCredentials]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def create_store(
    engine: Engine,
    vault: Vault,
    registry: Registry,
    *,
    name: str,
    public_url: str,
    livemode: bool = True,
    stripe_account_id: str | None = None,
) -> ProvisionedStore:
    api_key = new_token(API_KEY_PREFIX)
    with transaction(engine) as session:
        store = Store(
            name=name,
            livemode=livemode,
            api_key_hash=sha256_hex(api_key),
            stripe_account_id=stripe_account_id,
        )
        session.add(store)
        session.flush()
        assert store.id is not None
        endpoints = [
            _add_endpoint(
                session,
                vault,
                store.id,
                provider=provider.name,
                secret=provider.new_secret(),
                public_url=public_url,
            )
            for provider in registry.providers.values()
        ]
    return ProvisionedStore(store_id=store.id, name=name, api_key=api_key, endpoints=endpoints)


def _add_endpoint(
    session: Session, vault: Vault, store_id: int, *, provider: str, secret: str, public_url: str
) -> EndpointCredentials:
    key = new_token()
    session.add(
        WebhookEndpoint(
            store_id=store_id,
            provider=provider,
            key_hash=sha256_hex(key),
            key_encrypted=vault.encrypt(key),
            secrets_encrypted=vault.encrypt_list([secret]),
        )
    )
    return EndpointCredentials(
        provider=provider, url=webhook_url(public_url, provider, key), secret=secret
    )


def webhook_url(public_url: str, provider: str, key: str) -> str:
    return f"{public_url}/webhooks/{provider}/{key}"


def set_secrets(
    engine: Engine, vault: Vault, *, store_id: int, provider: str, secrets: list[str]
) -> None:
    """Replace an endpoint's accepted secrets (newest first) -- how a secret is rolled."""
    with transaction(engine) as session:
        endpoint = _endpoint(session, store_id, provider)
        endpoint.secrets_encrypted = vault.encrypt_list(secrets[:MAX_SECRETS_PER_ENDPOINT])


def _endpoint(session: Session, store_id: int, provider: str) -> WebhookEndpoint:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == provider
    )
    return session.exec(statement).one()


def store_for_api_key(engine: Engine, api_key: str) -> Store | None:
    """The store owning this API key, compared in constant time after an index lookup."""
    key_hash = sha256_hex(api_key)
    with Session(engine) as session:
        store = session.exec(select(Store).where(Store.api_key_hash == key_hash)).first()
    if store is None or not same_secret(store.api_key_hash, key_hash):
        return None
    return store
