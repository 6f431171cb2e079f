"""Receiving one delivery: verify, record, wake a worker. No business work happens here."""

from __future__ import annotations

import time
from datetime import timedelta
from enum import Enum

from shopsync.crypto import same_secret
from shopsync.pipeline import inbox
from shopsync.pipeline.endpoints import EndpointDirectory, EndpointInfo
from shopsync.pipeline.registry import IncomingRequest, Provider, Registry
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
    if not _path_secret_fits(provider, endpoint, incoming.path_secret):
        if not provider.secret_in_path:
            return Receipt.UNKNOWN_ENDPOINT
        # The cache may hold the secret from before a reconnect: one fresh look.
        endpoint = directory.lookup(provider_name, key, fresh=True)
        if endpoint is None or not _path_secret_fits(provider, endpoint, incoming.path_secret):
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


def _path_secret_fits(provider: Provider, endpoint: EndpointInfo, given: str | None) -> bool:
    """A URL secret where the provider uses one (each accepted secret compared in full)."""
    if not provider.secret_in_path:
        return given is None
    if given is None:
        return False
    matches = [same_secret(given, secret) for secret in endpoint.secrets]
    return any(matches)
