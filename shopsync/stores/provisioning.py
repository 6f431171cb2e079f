"""Provisioning stores: the store row, one webhook endpoint per provider, an API key.

Webhook URLs are never stored: an endpoint keeps its key (hashed for lookups and
encrypted to show it again), and its URL is built from the public URL in force each
time it is shown, so moving the service (another port, a domain) moves every URL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine
from sqlmodel import Session, select

from shopsync.crypto import Vault, new_token, same_secret, sha256_hex
from shopsync.db import single_statement, transaction
from shopsync.errors import InvalidSecret
from shopsync.models import Store, WebhookEndpoint
from shopsync.pipeline.registry import Provider, Registry, registry

API_KEY_PREFIX = "ssk_"
# At most this many signing secrets are accepted at once while a secret is rolled.
MAX_SECRETS_PER_ENDPOINT = 3


class UnknownStore(LookupError):
    """No store, or no such endpoint on it; the message says which."""


@dataclass(frozen=True)
class EndpointCredentials:
    provider: str
    url: str
    secret: str
    # Who issues the secret and where it goes (the provider's own words).
    signing_setup: str


@dataclass(frozen=True)
class ProvisionedStore:
    """Everything shown once when a store is created (the API key is never shown again)."""

    store_id: int
    name: str
    livemode: bool
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
            _add_endpoint(session, vault, store.id, provider=provider, public_url=public_url)
            for provider in registry.providers.values()
        ]
    return ProvisionedStore(
        store_id=store.id, name=name, livemode=livemode, api_key=api_key, endpoints=endpoints
    )


def add_endpoint(
    engine: Engine,
    vault: Vault,
    *,
    store_id: int,
    provider_name: str,
    public_url: str,
    providers: Registry = registry,
) -> EndpointCredentials:
    """An endpoint for a provider added after the store was created (one per provider)."""
    provider = known_provider(providers, provider_name)
    with transaction(engine) as session:
        if session.get(Store, store_id) is None:
            raise UnknownStore(f"no store {store_id}")
        if _find_endpoint(session, store_id, provider.name) is not None:
            raise UnknownStore(f"store {store_id} already has a {provider.name} endpoint")
        return _add_endpoint(session, vault, store_id, provider=provider, public_url=public_url)


def _add_endpoint(
    session: Session, vault: Vault, store_id: int, *, provider: Provider, public_url: str
) -> EndpointCredentials:
    key, secret = new_token(), provider.new_secret()
    session.add(
        WebhookEndpoint(
            store_id=store_id,
            provider=provider.name,
            key_hash=sha256_hex(key),
            key_encrypted=vault.encrypt(key),
            secrets_encrypted=vault.encrypt_list([secret]),
        )
    )
    return EndpointCredentials(
        provider=provider.name,
        url=endpoint_url(public_url, provider, key, secret),
        secret=secret,
        signing_setup=provider.signing_setup.format(store_id=store_id),
    )


def webhook_url(public_url: str, provider: str, key: str) -> str:
    return f"{public_url}/webhooks/{provider}/{key}"


def endpoint_url(public_url: str, provider: Provider, key: str, secret: str | None) -> str:
    """The URL the provider posts to: with the secret as its last part where that is the
    credential (Mailchimp), `…` standing for it when it is not to be shown."""
    url = webhook_url(public_url, provider.name, key)
    return f"{url}/{secret or '…'}" if provider.secret_in_path else url


def check_secrets(provider: Provider, secrets: list[str]) -> None:
    """Refuse secrets that cannot be right: anyone could forge deliveries signed with them."""
    if not secrets:
        raise InvalidSecret(f"give at least one {provider.name} signing secret")
    if len(secrets) > MAX_SECRETS_PER_ENDPOINT:
        raise InvalidSecret(f"at most {MAX_SECRETS_PER_ENDPOINT} secrets at once")
    for position, secret in enumerate(secrets, start=1):
        problem = provider.check_secret(secret)
        if problem is not None:
            which = "the secret" if len(secrets) == 1 else f"secret {position}"
            raise InvalidSecret(f"{provider.name}: {which} {problem}")


def known_provider(providers: Registry, name: str) -> Provider:
    provider = providers.provider(name)
    if provider is None:
        known = ", ".join(sorted(providers.providers))
        raise UnknownStore(f"no provider {name!r} (known: {known})")
    return provider


def set_secrets(
    engine: Engine,
    vault: Vault,
    *,
    store_id: int,
    provider: str,
    secrets: list[str],
    providers: Registry = registry,
) -> None:
    """Replace an endpoint's accepted secrets (newest first) -- how a secret is rolled.

    Refuses (InvalidSecret) secrets the provider says cannot be right, changing nothing.
    """
    spec = known_provider(providers, provider)
    check_secrets(spec, secrets)
    with transaction(engine) as session:
        endpoint = _find_endpoint(session, store_id, spec.name)
        if endpoint is None:
            raise UnknownStore(f"store {store_id} has no {spec.name} endpoint")
        endpoint.secrets_encrypted = vault.encrypt_list(secrets)


def rotate_api_key(engine: Engine, *, store_id: int) -> str:
    """A new API key for the store; the old one stops working at once."""
    api_key = new_token(API_KEY_PREFIX)
    with transaction(engine) as session:
        store = session.get(Store, store_id)
        if store is None:
            raise UnknownStore(f"no store {store_id}")
        store.api_key_hash = sha256_hex(api_key)
    return api_key


def _find_endpoint(session: Session, store_id: int, provider: str) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == provider
    )
    return session.exec(statement).first()


def store_for_api_key(engine: Engine, api_key: str) -> Store | None:
    """The store owning this API key, compared in constant time after an index lookup."""
    key_hash = sha256_hex(api_key)
    with Session(engine) as session:
        store = session.exec(select(Store).where(Store.api_key_hash == key_hash)).first()
    if store is None or not same_secret(store.api_key_hash, key_hash):
        return None
    return store


def store_id_for_api_key(engine: Engine, api_key: str) -> int | None:
    """The id of the store owning this API key: one indexed Core query, no ORM (page-view path)."""
    key_hash = sha256_hex(api_key)
    query = select(Store.id, Store.api_key_hash).where(Store.api_key_hash == key_hash)
    # Autocommit: one round trip, no BEGIN before it and no ROLLBACK after it.
    with single_statement(engine).connect() as connection:
        row = connection.execute(query).first()
    if row is None or not same_secret(row.api_key_hash, key_hash):
        return None
    store_id: int = row.id
    return store_id
