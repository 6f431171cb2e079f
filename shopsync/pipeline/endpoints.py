"""Finding the store and secrets behind a webhook URL, cheaply and in constant time."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlmodel import col

from shopsync.crypto import Vault, same_secret, sha256_hex
from shopsync.models import Store, WebhookEndpoint

CACHE_SECONDS = 10.0
# Endpoints kept at once: plenty for one deployment's stores, bounded whatever is sent.
CACHE_CAPACITY = 4096


@dataclass(frozen=True)
class EndpointInfo:
    store_id: int
    provider: str
    secrets: tuple[str, ...]
    livemode: bool
    # The provider account the endpoint is pinned to (see WebhookEndpoint.account_ref).
    account_ref: str | None = None


class EndpointDirectory:
    """Resolves endpoint keys, caching the endpoints it finds for a few seconds.

    The cache spares a query and a decryption per delivery; a rotated secret is picked
    up within `ttl` seconds. It holds at most `capacity` endpoints, least recently used
    first out, and never a miss: a flood of made-up keys costs one indexed query each
    and no memory, and a new endpoint answers at once.
    """

    def __init__(
        self,
        engine: Engine,
        vault: Vault,
        *,
        capacity: int = CACHE_CAPACITY,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._capacity = capacity
        self._ttl = ttl
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, EndpointInfo]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def lookup(self, provider: str, key: str, *, fresh: bool = False) -> EndpointInfo | None:
        """The endpoint behind `key`; `fresh` reads it from the database whatever is cached
        (a URL secret that does not match may have just been changed)."""
        key_hash = sha256_hex(key)
        info = None if fresh else self._cached(key_hash)
        if info is None:
            info = self._load(key_hash)
            if info is not None:
                self._remember(key_hash, info)
        if info is None or info.provider != provider:
            return None
        return info

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    def _cached(self, key_hash: str) -> EndpointInfo | None:
        with self._lock:
            entry = self._cache.get(key_hash)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._cache[key_hash]
                return None
            self._cache.move_to_end(key_hash)
            return entry[1]

    def _remember(self, key_hash: str, info: EndpointInfo) -> None:
        with self._lock:
            self._cache[key_hash] = (self._clock() + self._ttl, info)
            self._cache.move_to_end(key_hash)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)

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
