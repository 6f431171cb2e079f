"""The store's connected accounts as the admin's Connections pages drive them.

Each action is one call into its connection service (`shopsync.connections.*`, which
the CLI uses too) with the process's settings: where each API is, how long to wait,
which addresses a typed URL may reach. Pages read the remote side (a Stripe endpoint's
status, a WooCommerce webhook disabled after failures) with a short timeout, and say
"unknown" rather than fail when a provider does not answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlmodel import Session

from shopsync.connections import platforms, shopify, woocommerce
from shopsync.connections import stripe as stripe_connection
from shopsync.connections.platform_http import PlatformClient
from shopsync.connections.platforms import (
    EndpointDetails,
    PlatformConnectionError,
    PlatformStatus,
)
from shopsync.connections.stripe import ConnectionStatus, Services
from shopsync.connections.stripe_api import RemoteEndpoint, StripeApi
from shopsync.connections.stripe_reader import api_key_of, key_hint
from shopsync.errors import ProviderError
from shopsync.mailchimp import connection as mailchimp_connection
from shopsync.mailchimp.connection import ConnectionStatus as MailchimpStatus
from shopsync.models import Store
from shopsync.outbox.http import TargetPolicy
from shopsync.runtime import Runtime

# A page waits at most this long for a provider to describe its side.
PAGE_READ_SECONDS = 4.0


@dataclass(frozen=True)
class StripeMode:
    """One mode's connection with what Stripe says of its endpoint now."""

    status: ConnectionStatus
    key_hint: str | None = None
    # None: Stripe did not answer (or the endpoint is gone, see `remote_problem`).
    remote: RemoteEndpoint | None = None
    remote_problem: str | None = None
    # Whether the endpoint at Stripe asks for exactly the event types shopsync handles.
    events_match: bool = True
    # A live store refuses a test key: its test-mode events would be ignored.
    allowed: bool = True


@dataclass(frozen=True)
class Overview:
    stripe: list[ConnectionStatus]
    woocommerce: PlatformStatus
    shopify: PlatformStatus
    mailchimp: MailchimpStatus


def stripe_services(rt: Runtime, *, timeout: float | None = None) -> Services:
    seconds = rt.settings.outbound_timeout_seconds if timeout is None else timeout
    api = StripeApi(base=rt.settings.stripe_api_base, timeout=seconds)
    return Services(engine=rt.engine, vault=rt.vault, api=api)


@contextmanager
def platform_client(rt: Runtime, *, timeout: float | None = None) -> Iterator[PlatformClient]:
    seconds = rt.settings.outbound_timeout_seconds if timeout is None else timeout
    client = PlatformClient(TargetPolicy(rt.settings.webhook_targets), timeout=seconds)
    try:
        yield client
    finally:
        client.close()


def overview(rt: Runtime, *, store_id: int) -> Overview:
    """Every connection of the store, from what is stored (no provider is asked)."""
    services = stripe_services(rt)
    return Overview(
        stripe=stripe_connection.statuses(
            services, store_id=store_id, public_url=rt.settings.public_url
        ),
        woocommerce=platforms.status_of(
            rt.engine, rt.vault, store_id=store_id, provider=woocommerce.PROVIDER
        ),
        shopify=platforms.status_of(
            rt.engine, rt.vault, store_id=store_id, provider=shopify.PROVIDER
        ),
        mailchimp=mailchimp_connection.status(
            mailchimp_connection.services_for(rt),
            store_id=store_id,
            public_url=rt.settings.public_url,
        ),
    )


def stripe_modes(rt: Runtime, *, store_id: int) -> list[StripeMode]:
    """Live and test, each with its endpoint as Stripe has it (asked with a short timeout)."""
    services = stripe_services(rt, timeout=PAGE_READ_SECONDS)
    with Session(rt.engine) as session:
        store = session.get(Store, store_id)
    live_store = store is not None and store.livemode
    found = stripe_connection.statuses(
        services, store_id=store_id, public_url=rt.settings.public_url
    )
    return [
        _with_remote(services, status, allowed=status.livemode or not live_store)
        for status in found
    ]


def _with_remote(services: Services, status: ConnectionStatus, *, allowed: bool) -> StripeMode:
    if not status.connected or status.endpoint_id is None:
        return StripeMode(status=status, allowed=allowed)
    with Session(services.engine) as session:
        hint = key_hint(session, services.vault, status.store_id, livemode=status.livemode)
        key = api_key_of(session, services.vault, status.store_id, livemode=status.livemode)
    if key is None:
        return StripeMode(status=status, allowed=allowed)
    # The page should not wait for the SDK's retry as well.
    api = replace(services.api, timeout=PAGE_READ_SECONDS, retries=0)
    try:
        remote = api.endpoint(key, status.endpoint_id)
    except ProviderError as error:
        return StripeMode(status=status, key_hint=hint, remote_problem=str(error), allowed=allowed)
    if remote is None:
        problem = "Stripe no longer has this endpoint: disconnect, then connect again"
        return StripeMode(status=status, key_hint=hint, remote_problem=problem, allowed=allowed)
    wanted = set(stripe_connection.handled_events())
    return StripeMode(
        status=status,
        key_hint=hint,
        remote=remote,
        events_match=set(remote.enabled_events) == wanted,
        allowed=allowed,
    )


def endpoint_for(rt: Runtime, *, store_id: int, provider: str) -> EndpointDetails | None:
    """The store's URL for the provider and its signing secret, to paste by hand; None
    when the store has no endpoint for it."""
    try:
        return platforms.endpoint_details(
            rt.engine,
            rt.vault,
            store_id=store_id,
            provider=provider,
            public_url=rt.settings.public_url,
        )
    except PlatformConnectionError:
        return None


def remote_webhooks(rt: Runtime, *, store_id: int, provider: str) -> dict[str, str] | str:
    """Each webhook's state at the platform by topic, or why it could not be read."""
    with platform_client(rt, timeout=PAGE_READ_SECONDS) as client:
        try:
            if provider == woocommerce.PROVIDER:
                return woocommerce.remote_statuses(rt.engine, rt.vault, client, store_id=store_id)
            return shopify.remote_statuses(
                rt.engine,
                rt.vault,
                client,
                store_id=store_id,
                api_base=rt.settings.shopify_api_base,
            )
        except ProviderError as error:
            return str(error)
