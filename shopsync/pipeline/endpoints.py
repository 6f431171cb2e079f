"""Finding the store and secrets behind a webhook URL, cheaply and in constant time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import col

from shopsync.crypto import Vault, same_secret, sha256_hex
from shopsync.models import Store, WebhookEndpoint

CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class EndpointInfo:
    store_id: int
    provider: str
    secrets: tuple[str, ...]
    livemode: bool
    # The provider account the endpoint is pinned to (see WebhookEndpoint.account_ref).
    account_ref: str | None = None


class EndpointDirectory:
    """Resolves endpoint keys, caching each for a few seconds.

    The cache spares a query and a decryption per delivery; a rotated secret is
    picked up within CACHE_SECONDS.
    """

    def __init__(self, engine: Engine, vault: Vault) -> None:
        self._engine = engine
        self._vault = vault
        self._cache: dict[str, tuple[float, EndpointInfo | None]] = {}
        self._lock = threading.Lock()

    def lookup(self, provider: str, key: str) -> EndpointInfo | None:
        key_hash = sha256_hex(key)
        now = time.monotonic()
        cached = self._cache.get(key_hash)
        if cached is None or cached[0] < now:
            cached = (now + CACHE_SECONDS, self._load(key_hash))
            with self._lock:
                self._cache[key_hash] = cached
        info = cached[1]
        if info is None or info.provider != provider:
            return None
        return info

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _load(self, key_hash: str) -> EndpointInfo | None:
        query = (
            select(
                col(WebhookEndpoint.store_id),
                col(WebhookEndpoint.provider),
                col(WebhookEndpoint.key_hash),
                col(WebhookEndpoint.secrets_encrypted),
                col(WebhookEndpoint.account_ref),
                col(Store.livemode),
            )
            .join(Store, col(Store.id) == col(WebhookEndpoint.store_id))
            .where(col(WebhookEndpoint.key_hash) == key_hash)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None or not same_secret(row.key_hash, key_hash):
            return None
        return EndpointInfo(
            store_id=row.store_id,
            provider=row.provider,
            secrets=tuple(self._vault.decrypt_list(row.secrets_encrypted)),
            livemode=row.livemode,
            account_ref=row.account_ref,
        )
