"""Test helpers: stores, signed deliveries, a real RQ worker, reading rows back."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask.testing import FlaskClient
from rq import SimpleWorker
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from shopsync.models import Order, TimelineEntry, WebhookEvent
from shopsync.pipeline.registry import registry
from shopsync.queue import SERIALIZER, ShopsyncJob, get_queue
from shopsync.runtime import Runtime, activate
from shopsync.stores.provisioning import EndpointCredentials, ProvisionedStore, create_store


@dataclass(frozen=True)
class StoreFixture:
    provisioned: ProvisionedStore

    @property
    def id(self) -> int:
        return self.provisioned.store_id

    @property
    def api_key(self) -> str:
        return self.provisioned.api_key

    def url(self, provider: str) -> str:
        return self._endpoint(provider).url

    def path(self, provider: str) -> str:
        return "/" + self.url(provider).split("/", 3)[3]

    def secret(self, provider: str) -> str:
        return self._endpoint(provider).secret

    def _endpoint(self, provider: str) -> EndpointCredentials:
        return next(e for e in self.provisioned.endpoints if e.provider == provider)


def make_store(rt: Runtime, *, name: str, livemode: bool = True) -> StoreFixture:
    created = create_store(
        rt.engine,
        rt.vault,
        registry,
        name=name,
        public_url=rt.settings.public_url,
        livemode=livemode,
    )
    return StoreFixture(created)


def json_body(response: TestResponse) -> dict[str, Any]:
    """The response's JSON object; fails the test when the body is not one."""
    body = response.get_json(silent=True)
    assert isinstance(body, dict), f"expected a JSON object, got {response.data!r}"
    return body


def body_of(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def signed_headers(
    provider: str,
    body: bytes,
    secret: str,
    *,
    timestamp: float | None = None,
    message_id: str | None = None,
    event_type: str | None = None,
) -> dict[str, str]:
    """The provider's real signature headers, made with the provider module's signer.

    `event_type` defaults to the one the body names (Stripe's and Standard Webhooks'
    `type`, EasyPost's `description`); Shopify and WooCommerce bodies name none.
    """
    spec = registry.providers[provider]
    return spec.sign(
        body,
        secret,
        timestamp=time.time() if timestamp is None else timestamp,
        event_id=message_id or "msg_" + secrets.token_hex(12),
        event_type=event_type or type_named_in(body),
    )


def type_named_in(body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    named = payload.get("type") or payload.get("description") if isinstance(payload, dict) else ""
    return named if isinstance(named, str) else ""


def deliver(
    client: FlaskClient,
    store: StoreFixture,
    provider: str,
    payload: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: float | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
    event_type: str | None = None,
) -> TestResponse:
    """POST a correctly signed delivery (unless `secret` says otherwise)."""
    body = body_of(payload)
    signed = signed_headers(
        provider,
        body,
        secret or store.secret(provider),
        timestamp=timestamp,
        message_id=message_id,
        event_type=event_type,
    )
    signed.update(headers or {})
    return client.post(store.path(provider), data=body, headers=signed)


class BurstWorker(SimpleWorker):
    """RQ's in-process worker without its remote-control channel.

    The channel (for `rq` commands such as kill-horse) costs a one-second thread join
    every time a burst worker stops; tests never use it. Dequeueing, job execution and
    the registries are RQ's own.
    """

    def subscribe(self) -> None:
        return None


def work_queue(rt: Runtime) -> None:
    """Run a real RQ worker (in this process) until the queue is empty."""
    activate(rt)  # as `shopsync worker` does at start-up
    worker = BurstWorker(
        [get_queue(rt.redis)], connection=rt.redis, job_class=ShopsyncJob, serializer=SERIALIZER
    )
    worker.work(burst=True, logging_level="WARNING")


def events(rt: Runtime) -> list[WebhookEvent]:
    with Session(rt.engine) as session:
        return list(session.exec(select(WebhookEvent).order_by(col(WebhookEvent.id))))


def event_statuses(rt: Runtime) -> list[str]:
    return [event.status for event in events(rt)]


def order(rt: Runtime, store_id: int, external_id: str) -> Order | None:
    with Session(rt.engine) as session:
        return session.exec(
            select(Order).where(Order.store_id == store_id, Order.external_id == external_id)
        ).first()


def timeline(rt: Runtime, order_id: int | None) -> list[str]:
    with Session(rt.engine) as session:
        entries = session.exec(
            select(TimelineEntry)
            .where(TimelineEntry.order_id == order_id)
            .order_by(col(TimelineEntry.id))
        )
        return [entry.milestone for entry in entries]


# The two arrival orders every reversal is tested in: as the provider sent the events,
# and the other way round.
ARRIVALS = ("as sent", "reversed")


def arriving(deliveries: list[Any], arrival: str) -> list[Any]:
    """The deliveries in the given arrival order, each delivered twice (all, then all again)."""
    ordered = list(deliveries) if arrival == "as sent" else list(reversed(deliveries))
    return ordered + ordered
