"""Reading a store's Stripe objects with its connected key, for what events cannot settle.

A store may hold a test-mode and a live-mode key: an event is read back with the key of
its own mode (a test-mode object does not exist for the live key, and the other way).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from shopsync.connections.stripe_api import StripeApi
from shopsync.crypto import Vault
from shopsync.errors import ProviderError
from shopsync.models import StripeConnection

log = logging.getLogger(__name__)


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


def api_key_of(session: Session, vault: Vault, store_id: int, *, livemode: bool) -> str | None:
    """The store's connected API key of that mode, or None when it connected none."""
    connection = session.get(StripeConnection, (store_id, livemode))
    if connection is None or connection.endpoint_id is None:
        return None
    return vault.decrypt(connection.api_key_encrypted)


def key_hint(session: Session, vault: Vault, store_id: int, *, livemode: bool) -> str | None:
    """The connected key's prefix and last four characters (`sk_test_…4dc7`), or None."""
    api_key = api_key_of(session, vault, store_id, livemode=livemode)
    return f"{api_key[:8]}…{api_key[-4:]}" if api_key else None


CONNECTED_CACHE = "shopsync.stripe_connected"


def is_connected(session: Session, store_id: int, *, livemode: bool) -> bool:
    """Whether the store connected a key of that mode (nothing is decrypted).

    Read once per transaction: every checkout asks, and most stores connect no key
    (a row that does not exist is never in the session's identity map).
    """
    cache: dict[tuple[int, bool], bool] = session.info.setdefault(CONNECTED_CACHE, {})
    if (store_id, livemode) not in cache:
        connection = session.get(StripeConnection, (store_id, livemode))
        cache[store_id, livemode] = connection is not None and connection.endpoint_id is not None
    return cache[store_id, livemode]


_configured: tuple[StripeApi, Vault] | None = None


def configure(api: StripeApi | None, vault: Vault | None) -> None:
    """Set by the process's bootstrap: how handlers reach Stripe with a store's key."""
    global _configured  # noqa: PLW0603 - one per process, like its runtime
    _configured = (api, vault) if api is not None and vault is not None else None


def configured_api() -> StripeApi | None:
    return _configured[0] if _configured else None


def reader_for(session: Session, store_id: int, *, livemode: bool | None) -> Reader | None:
    """A reader with the store's key of the event's mode, or None (no such key).

    An event that does not say its mode is read with the live key, else the test key.
    """
    if _configured is None:
        return None
    api, vault = _configured
    modes = (True, False) if livemode is None else (livemode,)
    for mode in modes:
        api_key = api_key_of(session, vault, store_id, livemode=mode)
        if api_key:
            return Reader(api=api, api_key=api_key)
    return None
