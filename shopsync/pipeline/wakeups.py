"""Waking workers once a delivery is recorded, without ever holding its answer for long.

The row is durable before the wake-up is sent, so the wake-up is best effort: it has
its own Redis client with a WAKE_TIMEOUT_SECONDS socket timeout and no retries, and
after a failure Redis is skipped for SKIP_SECONDS (a circuit breaker): rows recorded
meanwhile are marked due at once and the relay wakes the workers for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from redis import Redis
from redis.exceptions import RedisError

from shopsync.errors import ConfigError
from shopsync.pipeline.availability import Availability
from shopsync.pipeline.jobs import wake_workers

WAKE_TIMEOUT_SECONDS = 0.05
SKIP_SECONDS = 5.0


class Waker:
    """Sends wake-ups while Redis answers quickly; skips Redis for a while when it does not."""

    def __init__(
        self,
        connect: Callable[[], Redis],
        *,
        skip_seconds: float = SKIP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._connect = connect
        self._redis: Redis | None = None
        self._skip_seconds = skip_seconds
        self._clock = clock
        self._skip_until = 0.0
        self.redis = Availability("Redis", meanwhile="the relay wakes workers for new events")

    def available(self) -> bool:
        """False while Redis is being skipped after a failure."""
        return self._clock() >= self._skip_until

    def wake(self, ids: Sequence[int]) -> bool:
        """Wake workers for these rows; False when it could not (the relay will)."""
        if not self.available():
            return False
        try:
            wake_workers(self._client(), ids)
        except (RedisError, ConfigError) as error:
            self._skip_until = self._clock() + self._skip_seconds
            self.redis.lost(error)
            return False
        self.redis.back()
        return True

    def _client(self) -> Redis:
        if self._redis is None:
            self._redis = self._connect()
        return self._redis

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
