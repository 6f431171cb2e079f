"""Pinning a store's endpoint to the provider account it serves (a Shopify shop domain).

A provider that names the sending account in its deliveries declares how a valid value
looks (`Provider.normalize_account`); deliveries naming another account are refused.
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import select

from shopsync.db import transaction
from shopsync.errors import ShopsyncError
from shopsync.models import WebhookEndpoint
from shopsync.pipeline.registry import Registry


class AccountNotSupported(ShopsyncError):
    """The provider names no account in its deliveries, or the store has no such endpoint."""


def set_account_ref(
    engine: Engine, registry: Registry, *, store_id: int, provider: str, value: str | None
) -> str | None:
    """Pin (or with None unpin) the endpoint; returns the stored form of the value.

    Raises ValueError when the value is not a valid account for the provider.
    """
    spec = registry.provider(provider)
    if spec is None or spec.normalize_account is None:
        raise AccountNotSupported(f"{provider} deliveries name no account to pin")
    account = None if value is None else spec.normalize_account(value)
    with transaction(engine) as session:
        statement = select(WebhookEndpoint).where(
            WebhookEndpoint.store_id == store_id, WebhookEndpoint.provider == provider
        )
        endpoint = session.exec(statement).first()
        if endpoint is None:
            raise AccountNotSupported(f"store {store_id} has no {provider} endpoint")
        endpoint.account_ref = account
        session.add(endpoint)
    return account
