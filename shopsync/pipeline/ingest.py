"""Receiving one delivery: verify, record, wake a worker. No business work happens here."""

from __future__ import annotations

import time
from datetime import timedelta
from enum import Enum

from shopsync.pipeline import inbox
from shopsync.pipeline.endpoints import EndpointDirectory
from shopsync.pipeline.registry import IncomingRequest, Registry
from shopsync.pipeline.wakeups import Waker
from shopsync.runtime import Runtime


class Receipt(Enum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    PING = "ping"
    UNKNOWN_ENDPOINT = "unknown endpoint"


def receive(
    rt: Runtime,
    directory: EndpointDirectory,
    registry: Registry,
    waker: Waker,
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
    # While Redis is skipped, the row is due for the relay from the start.
    wake_now = waker.available()
    row_id = inbox.record(
        rt.engine,
        store_id=endpoint.store_id,
        provider=provider_name,
        delivery=delivery,
        grace=rt.settings.relay_grace if wake_now else timedelta(0),
    )
    if row_id is None:
        return Receipt.DUPLICATE
    # The row is committed: if the wake-up fails the relay will find it, so answer 200.
    if wake_now and not waker.wake([row_id]):
        inbox.due_now(rt.engine, row_id)
    return Receipt.RECORDED
