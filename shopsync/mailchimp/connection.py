"""Connecting a store's Mailchimp audience: the service behind `shopsync mailchimp ...`.

`connect` checks the key's data centre before any request, pings Mailchimp with it, and
settles the audience (listing the account's audiences when none is given). It then
gives the store's Mailchimp endpoint a fresh URL secret, pins the endpoint to the
audience, keeps the key encrypted, and registers shopsync's audience webhook at
Mailchimp for every event it handles from users and admins, never from the API (so
shopsync's own writes to the audience do not come back as events). Mailchimp checks
the URL with a GET before saving the webhook, so the secret is committed first; if
the registration fails the account is forgotten again and nothing is left behind.

`disconnect` deletes the webhook at Mailchimp (one already gone is fine), forgets the
account and changes the URL secret, so the old URL verifies nothing from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from shopsync.clock import utcnow
from shopsync.crypto import Vault
from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.mailchimp import accounts
from shopsync.mailchimp.accounts import MailchimpAccount
from shopsync.mailchimp.adapter import Audience, MailchimpApi, MailchimpError, data_centre
from shopsync.models import Store, WebhookEndpoint
from shopsync.pipeline.registry import registry
from shopsync.stores.provisioning import add_endpoint, endpoint_url

PROVIDER = "mailchimp"
# Webhook events shopsync handles; all of them, from members and admins, none from the API.
EVENTS = ("subscribe", "unsubscribe", "profile", "upemail", "cleaned", "campaign")
SOURCES = {"user": True, "admin": True, "api": False}


class MailchimpConnectionError(ShopsyncError):
    """The connection cannot be made or changed; the message says what to do."""


class AudienceNeeded(MailchimpConnectionError):
    """No audience was named: the account's audiences, to choose from."""

    def __init__(self, store_id: int, audiences: list[Audience]) -> None:
        super().__init__(
            f"choose the audience: `shopsync mailchimp connect {store_id} --api-key KEY "
            "--audience ID` with one of the IDs above"
            if audiences
            else "the Mailchimp account has no audience: create one in Mailchimp first"
        )
        self.audiences = audiences


@dataclass(frozen=True)
class Services:
    engine: Engine
    vault: Vault
    api: MailchimpApi


@dataclass(frozen=True)
class ConnectionStatus:
    store_id: int
    connected: bool
    server: str | None = None
    audience_id: str | None = None
    audience_name: str | None = None
    webhook_id: str | None = None
    double_opt_in: bool = False
    # The webhook URL without its secret (the secret is shown nowhere after connecting).
    webhook_url: str | None = None
    connected_at: datetime | None = None


def connect(
    services: Services,
    *,
    store_id: int,
    api_key: str,
    audience_id: str | None,
    double_opt_in: bool,
    public_url: str,
) -> ConnectionStatus:
    api_key = api_key.strip()
    server = data_centre(api_key)
    _require_store(services.engine, store_id)
    if _is_connected(services, store_id):
        raise MailchimpConnectionError(
            f"store {store_id} is connected to Mailchimp already: disconnect it first "
            f"(`shopsync mailchimp disconnect {store_id}`)"
        )
    client = services.api.client(api_key)
    client.ping()
    if audience_id is None:
        raise AudienceNeeded(store_id, client.audiences())
    audience = client.audience(audience_id)
    if audience is None:
        raise MailchimpConnectionError(
            f"the Mailchimp account has no audience {audience_id[:40]!r}: leave out "
            "--audience to list them"
        )
    url = _prepare(services, store_id, public_url, audience.id)
    account = MailchimpAccount(
        store_id=store_id,
        api_key=api_key,
        server=server,
        audience_id=audience.id,
        audience_name=audience.name,
        double_opt_in=double_opt_in,
        connected_at=utcnow(),
    )
    with transaction(services.engine) as session:
        accounts.save(session, services.vault, account)
    try:
        webhook_id = client.create_webhook(
            audience.id, url=url, events=dict.fromkeys(EVENTS, True), sources=SOURCES
        )
    except MailchimpError:
        _forget(services, store_id)
        raise
    with transaction(services.engine) as session:
        accounts.save(session, services.vault, _with_webhook(account, webhook_id))
    return status(services, store_id=store_id, public_url=public_url)


def disconnect(services: Services, *, store_id: int) -> bool:
    """Delete the webhook at Mailchimp and forget the account; whether Mailchimp had it."""
    with Session(services.engine) as session:
        account = accounts.load(session, services.vault, store_id)
    if account is None:
        raise MailchimpConnectionError(f"store {store_id} is not connected to Mailchimp")
    deleted = False
    if account.webhook_id:
        client = services.api.client(account.api_key)
        deleted = client.delete_webhook(account.audience_id, account.webhook_id)
    _forget(services, store_id)
    return deleted


def status(services: Services, *, store_id: int, public_url: str) -> ConnectionStatus:
    _require_store(services.engine, store_id)
    with Session(services.engine) as session:
        account = accounts.load(session, services.vault, store_id)
        endpoint = _endpoint(session, store_id)
        url = (
            endpoint_url(
                public_url,
                registry.providers[PROVIDER],
                services.vault.decrypt(endpoint.key_encrypted),
                None,
            )
            if endpoint
            else None
        )
    if account is None or account.webhook_id is None:
        return ConnectionStatus(store_id=store_id, connected=False, webhook_url=url)
    return ConnectionStatus(
        store_id=store_id,
        connected=True,
        server=account.server,
        audience_id=account.audience_id,
        audience_name=account.audience_name,
        webhook_id=account.webhook_id,
        double_opt_in=account.double_opt_in,
        webhook_url=url,
        connected_at=account.connected_at,
    )


def _prepare(services: Services, store_id: int, public_url: str, audience_id: str) -> str:
    """A fresh URL secret on the store's endpoint, pinned to the audience; the full URL."""
    provider = registry.providers[PROVIDER]
    with Session(services.engine) as session:
        missing = _endpoint(session, store_id) is None
    if missing:
        add_endpoint(
            services.engine,
            services.vault,
            store_id=store_id,
            provider_name=PROVIDER,
            public_url=public_url,
        )
    secret = provider.new_secret()
    with transaction(services.engine) as session:
        endpoint = _endpoint(session, store_id)
        assert endpoint is not None
        endpoint.secrets_encrypted = services.vault.encrypt_list([secret])
        endpoint.account_ref = audience_id
        session.add(endpoint)
        key = services.vault.decrypt(endpoint.key_encrypted)
    return endpoint_url(public_url, provider, key, secret)


def _forget(services: Services, store_id: int) -> None:
    """No account, and a URL secret nobody holds: the old URL verifies nothing."""
    with transaction(services.engine) as session:
        accounts.remove(session, store_id)
        endpoint = _endpoint(session, store_id)
        if endpoint is not None:
            new_secret = registry.providers[PROVIDER].new_secret()
            endpoint.secrets_encrypted = services.vault.encrypt_list([new_secret])
            endpoint.account_ref = None
            session.add(endpoint)


def _with_webhook(account: MailchimpAccount, webhook_id: str) -> MailchimpAccount:
    return MailchimpAccount(
        store_id=account.store_id,
        api_key=account.api_key,
        server=account.server,
        audience_id=account.audience_id,
        audience_name=account.audience_name,
        webhook_id=webhook_id,
        double_opt_in=account.double_opt_in,
        ecommerce_store_id=account.ecommerce_store_id,
        connected_at=account.connected_at,
    )


def _is_connected(services: Services, store_id: int) -> bool:
    with Session(services.engine) as session:
        account = accounts.load(session, services.vault, store_id)
    return account is not None and account.webhook_id is not None


def _require_store(engine: Engine, store_id: int) -> None:
    with Session(engine) as session:
        if session.get(Store, store_id) is None:
            raise MailchimpConnectionError(f"no store {store_id}")


def _endpoint(session: Session, store_id: int) -> WebhookEndpoint | None:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == PROVIDER
    )
    return session.exec(statement).first()
