"""Receiving one delivery: verify, record, wake a worker. No business work happens here."""

from __future__ import annotations

import logging
import time
from enum import Enum

from redis.exceptions import RedisError

from shopsync.errors import ConfigError
from shopsync.pipeline import inbox
from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.pipeline.jobs import wake_workers
from shopsync.pipeline.registry import IncomingRequest, Registry
from shopsync.runtime import Runtime

log = logging.getLogger(__name__)


class Receipt(Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    PING = "ping"
    UNKNOWN_ENDPOINT = "unknown endpoint"


def receive(
    rt: Runtime,
    directory: EndpointDirectory,
    registry: Registry,
    *,
    provider_name: str,
    key: str,
    incoming: IncomingRequest,
) -> Receipt:
    """Verify and durably record a delivery; WebhookError means refuse it."""
    provider = registry.provider(provider_name)
    endpoint = directory.lookup(provider_name, key) if provider else None
    if provider is None or endpoint is None:
        return Receipt.UNKNOWN_ENDPOINT
    delivery = provider.verify(incoming, endpoint, time.time())
    if delivery is None:
        return Receipt.PING
    row_id = inbox.record(
        rt.engine,
        store_id=endpoint.store_id,
        provider=provider_name,
        delivery=delivery,
        grace=rt.settings.relay_grace,
    )
    if row_id is None:
        return Receipt.DUPLICATE
    _wake(rt, row_id)
    return Receipt.RECORDED


def _wake(rt: Runtime, row_id: int) -> None:
    # The row is committed: if Redis is down the relay will find it, so answer 200.
    try:
        wake_workers(rt.redis, [row_id])
    except (RedisError, ConfigError) as error:
        log.warning(
            "event %s recorded but Redis is unavailable (%s); relay will queue it",
            row_id,
            type(error).__name__,
        )
        inbox.due_now(rt.engine, row_id)
