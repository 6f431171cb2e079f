"""Waking workers for rows just (re)queued; if Redis is down the relay finds them later."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Queued:
    count: int
    # False when Redis could not be told: the relay queues the rows after its grace period.
    woken: bool


def wake(push: Callable[[], None], ids: Sequence[int]) -> Queued:
    if not ids:
        return Queued(count=0, woken=True)
    try:
        push()
    except RedisError as error:
        log.warning("replayed rows saved but Redis is unavailable (%s)", type(error).__name__)
        return Queued(count=len(ids), woken=False)
    return Queued(count=len(ids), woken=True)
