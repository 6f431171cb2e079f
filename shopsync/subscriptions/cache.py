"""The access answer cache in Redis, which a change invalidates.

Page views ask `GET /api/v1/access` far more often than access changes, so answers are
kept per store and lookup (an email, a Stripe customer id), for at most `MAX_TTL` and
never past the moment the answer changes by time alone (a grace or period end).

Why a stale answer cannot stick:
- A change to a customer's access, after its transaction commits, overwrites each of
  the customer's entries with a fresh tombstone (a random value), whether it exists or not.
- A reader that misses remembers what it saw (nothing, or a tombstone) and the store's
  epoch, computes from the database, and stores its answer only if both are unchanged
  (one Lua compare-and-set). A reader that read the old rows before a commit therefore
  cannot store them after the change's tombstone; one that stored them before, has them
  overwritten by it.
- Changes that can touch any customer of a store (its grace period, a customer moved to
  another address) bump the store's epoch; an entry of an older epoch is a miss.

If Redis is away the answer is computed from the database each time; if the tombstone
cannot be written, the entry's TTL bounds how long it is stale.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis import Redis

MAX_TTL_SECONDS = 300
TOMBSTONE_SECONDS = 60
PREFIX = "shopsync:access"

CAS_SCRIPT = """
local current = redis.call('GET', KEYS[1]) or ''
local epoch = redis.call('GET', KEYS[2]) or ''
if current == ARGV[1] and epoch == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Lookup:
    """How a store's system names a customer: by email or by Stripe customer id."""

    kind: str  # "email" or "stripe"
    value: str

    def key(self, store_id: int) -> str:
        digest = hashlib.sha256(self.value.encode()).hexdigest()[:32]
        return f"{PREFIX}:{store_id}:{self.kind}:{digest}"


def epoch_key(store_id: int) -> str:
    return f"{PREFIX}:{store_id}:epoch"


@dataclass(frozen=True)
class Seen:
    """What a reader found: a fresh answer, or what to compare before storing one."""

    answer: dict[str, Any] | None
    entry: str
    epoch: str


class AccessCache:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._cas = redis.register_script(CAS_SCRIPT)

    def get(self, store_id: int, lookup: Lookup) -> Seen:
        epoch, entry = self._redis.mget([epoch_key(store_id), lookup.key(store_id)])
        epoch_text = _text(epoch)
        entry_text = _text(entry)
        if entry_text.startswith("{"):
            stored = json.loads(entry_text)
            if stored.get("epoch") == epoch_text:
                return Seen(answer=stored["answer"], entry=entry_text, epoch=epoch_text)
        return Seen(answer=None, entry=entry_text, epoch=epoch_text)

    def put(
        self, store_id: int, lookup: Lookup, seen: Seen, answer: dict[str, Any], ttl_ms: int
    ) -> bool:
        """Store the answer unless a change happened since `seen` (see the module)."""
        if ttl_ms <= 0:
            return False
        value = json.dumps({"epoch": seen.epoch, "answer": answer}, separators=(",", ":"))
        keys = [lookup.key(store_id), epoch_key(store_id)]
        stored = self._cas(keys=keys, args=[seen.entry, seen.epoch, value, ttl_ms])
        return bool(stored)

    def forget(self, store_id: int, lookups: Iterable[Lookup]) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for lookup in lookups:
            pipe.set(lookup.key(store_id), "x:" + secrets.token_hex(8), ex=TOMBSTONE_SECONDS)
        pipe.execute()

    def forget_store(self, store_id: int) -> None:
        self._redis.incr(epoch_key(store_id))


def ttl_ms(now: datetime, changes_at: datetime | None) -> int:
    """How long an answer may be kept: bounded, and never past its next change."""
    limit = MAX_TTL_SECONDS * 1000
    if changes_at is None:
        return limit
    return min(limit, int((changes_at - now).total_seconds() * 1000))


def _text(value: object) -> str:
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)


_redis: Callable[[], Redis] | None = None
_cache: AccessCache | None = None


def configure(redis: Callable[[], Redis] | None) -> None:
    """Set by the process's bootstrap: how to reach Redis (None: no cache, as in tools)."""
    global _redis, _cache
    _redis, _cache = redis, None


def current() -> AccessCache | None:
    """The process's cache (built on first use: nothing connects at start-up)."""
    global _cache  # noqa: PLW0603
    if _cache is None and _redis is not None:
        _cache = AccessCache(_redis())
    return _cache
