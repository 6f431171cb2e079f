"""Signed webhooks to the store's own systems, in the Standard Webhooks scheme.

Every delivery of a message carries the same `webhook-id` (so receivers dedupe on it),
a fresh `webhook-timestamp`, and one `v1` signature per secret of the subscriber (several
while a secret is rolled), over `id.timestamp.body`. The body is the one written with the
change, byte for byte, so a retry three days later says what was true then; the order's
`version` inside lets a receiver drop a delivery older than what it has.

Outcomes: any 2xx is delivered; a receiver's `webhook-delivery: abort-message` or a 410
stops retries of that message (410 also disables the subscriber); anything else,
including 3xx (never followed), timeouts and refused connections, is retried. A URL
that resolves to a private address under the production policy is refused for good.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import httpcore
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook

from shopsync.clock import utcnow
from shopsync.crypto import Vault
from shopsync.models import OutboxKind, OutboxMessage, OutboxStatus, StoreSubscriber
from shopsync.outbox import http
from shopsync.outbox.channels.base import Outcome
from shopsync.stores import subscribers

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

ABORT_HEADER = "webhook-delivery"
ABORT_VALUE = "abort-message"
GONE = 410


def message_id(message: OutboxMessage) -> str:
    """Stable across retries and independent of the row id: derived from the key."""
    return "msg_" + hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]


def signature_header(msg_id: str, timestamp: datetime, body: str, secrets: list[str]) -> str:
    return " ".join(Webhook(secret).sign(msg_id, timestamp, body) for secret in secrets)


class StoreWebhookChannel:
    kind = OutboxKind.STORE_WEBHOOK

    def __init__(
        self, engine: Engine, vault: Vault, *, policy: http.TargetPolicy, timeout: float
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._policy = policy
        self._timeout = timeout
        self._pool = http.new_pool(policy)
        # Per batch: each subscriber read and its secrets decrypted once.
        self._subscribers: dict[int, tuple[StoreSubscriber | None, list[str]]] = {}

    def deliver(self, messages: list[OutboxMessage]) -> Iterator[tuple[OutboxMessage, Outcome]]:
        try:
            for message in messages:
                yield message, self._deliver_one(message)
        finally:
            self._pool.close()

    def gave_up(self, message: OutboxMessage) -> None:
        if subscribers.record_failure(self._engine, int(message.target), gave_up=True):
            log.warning("subscriber %s disabled: every delivery failed for days", message.target)
            self._subscribers.pop(int(message.target), None)  # read again: now disabled

    def _deliver_one(self, message: OutboxMessage) -> Outcome:
        subscriber, secrets = self._subscriber(message)
        if subscriber is None or not subscriber.enabled:
            return Outcome.skipped("the subscriber is disabled or was removed")
        outcome = self._post(subscriber, secrets, message)
        self._note_health(subscriber, outcome)
        return outcome

    def _subscriber(self, message: OutboxMessage) -> tuple[StoreSubscriber | None, list[str]]:
        subscriber_id = int(message.target)
        if subscriber_id not in self._subscribers:
            with Session(self._engine, expire_on_commit=False) as session:
                found = session.get(StoreSubscriber, subscriber_id)
            secrets = self._vault.decrypt_list(found.secrets_encrypted) if found else []
            self._subscribers[subscriber_id] = (found, secrets)
        subscriber, secrets = self._subscribers[subscriber_id]
        if subscriber is None or subscriber.store_id != message.store_id:
            return None, []
        return subscriber, secrets

    def _post(
        self, subscriber: StoreSubscriber, secrets: list[str], message: OutboxMessage
    ) -> Outcome:
        problem = http.check_url(subscriber.url, self._policy)
        if problem:
            return Outcome.failed(f"refused: {problem}")
        msg_id, now = message_id(message), utcnow()
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature_header(msg_id, now, message.payload, secrets),
        }
        try:
            response = http.post(
                self._pool,
                subscriber.url,
                body=message.payload.encode(),
                headers=headers,
                timeout=self._timeout,
            )
        except http.BlockedDestination:
            return Outcome.failed("refused: the host resolves to a private address")
        except httpcore.TimeoutException:
            return Outcome.retry("timed out")
        except (httpcore.NetworkError, httpcore.ProtocolError) as error:
            return Outcome.retry(f"connection failed ({type(error).__name__})")
        if response.status == GONE:
            assert subscriber.id is not None
            subscribers.disable(self._engine, subscriber.id, "the receiver answered 410 Gone")
            subscriber.enabled = False  # the rest of the batch is skipped
        return judge(response)

    def _note_health(self, subscriber: StoreSubscriber, outcome: Outcome) -> None:
        assert subscriber.id is not None
        if outcome.status is OutboxStatus.SENT:
            # Only a subscriber that was failing has anything to clear.
            if subscriber.failing_since is not None:
                subscribers.record_success(self._engine, subscriber.id)
                subscriber.failing_since = None
        else:
            subscribers.record_failure(self._engine, subscriber.id, gave_up=False)
            subscriber.failing_since = subscriber.failing_since or utcnow()


def judge(response: http.Response) -> Outcome:
    status = response.status
    if 200 <= status < 300:
        return Outcome.sent(f"HTTP {status}")
    if response.headers.get(ABORT_HEADER, "").strip().lower() == ABORT_VALUE:
        return Outcome.failed(f"HTTP {status}, the receiver aborted this message")
    if status == GONE:
        return Outcome.failed("HTTP 410 Gone")
    if 300 <= status < 400:
        return Outcome.retry(f"HTTP {status} (redirects are not followed)")
    return Outcome.retry(f"HTTP {status}")
