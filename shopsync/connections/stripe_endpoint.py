"""The store's Stripe endpoint as the connections see it: its URL, and the signing
secrets it accepts (every connection's, live first)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from shopsync.crypto import Vault
from shopsync.errors import ShopsyncError
from shopsync.models import StripeConnection, WebhookEndpoint
from shopsync.pipeline.registry import registry
from shopsync.stores.provisioning import webhook_url

PROVIDER = "stripe"


class MissingEndpoint(ShopsyncError):
    """The store has no Stripe endpoint; the message says how to add one."""


def url_of(session: Session, vault: Vault, store_id: int, public_url: str) -> str | None:
    endpoint = endpoint_of(session, store_id)
    if endpoint is None:
        return None
    return webhook_url(public_url, PROVIDER, vault.decrypt(endpoint.key_encrypted))


def require_url(session: Session, vault: Vault, store_id: int, public_url: str) -> str:
    url = url_of(session, vault, store_id, public_url)
    if url is None:
        raise MissingEndpoint(
            f"store {store_id} has no Stripe endpoint: "
            f"`shopsync store add-endpoint {store_id} stripe`"
        )
    return url


def endpoint_of(session: Session, store_id: int) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == PROVIDER
    )
    return session.exec(statement).first()


def secrets_of(vault: Vault, connection: StripeConnection) -> list[str]:
    if connection.secrets_encrypted is None:
        return []
    return vault.decrypt_list(connection.secrets_encrypted)


def keep_secrets(
    session: Session, vault: Vault, connection: StripeConnection, values: list[str]
) -> None:
    """The connection's own secrets, then the store's endpoint accepts every connection's."""
    connection.secrets_encrypted = vault.encrypt_list(values)
    session.add(connection)
    session.flush()
    sync_endpoint(session, vault, connection.store_id)


def sync_endpoint(session: Session, vault: Vault, store_id: int) -> None:
    """The endpoint accepts the secrets of the store's connections, live first.

    Without any connection left it gets a fresh secret nobody holds, so the secret of an
    endpoint deleted at Stripe verifies nothing from then on.
    """
    endpoint = endpoint_of(session, store_id)
    if endpoint is None:
        raise MissingEndpoint(f"store {store_id} has no Stripe endpoint")
    statement = (
        select(StripeConnection)
        .where(StripeConnection.store_id == store_id)
        .order_by(col(StripeConnection.livemode).desc())
    )
    accepted = [s for c in session.exec(statement) for s in secrets_of(vault, c)]
    if not accepted:
        accepted = [registry.providers[PROVIDER].new_secret()]
    endpoint.secrets_encrypted = vault.encrypt_list(accepted)
    session.add(endpoint)
