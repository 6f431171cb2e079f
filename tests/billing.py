"""Helpers for subscription tests: a customer's Stripe billing, as really-signed events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.stripe import samples
from shopsync.clock import utcnow
from shopsync.models import OutboxMessage
from shopsync.runtime import Runtime
from tests.support import StoreFixture, deliver, work_queue

DAY = timedelta(days=1)


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass
class Billing:
    """One customer's subscription at one store, driven by signed Stripe events."""

    client: FlaskClient
    store: StoreFixture
    rt: Runtime
    customer: str = field(default_factory=lambda: "cus_" + secrets.token_hex(7))
    subscription: str = field(default_factory=lambda: "sub_" + secrets.token_hex(8))
    email: str = "jenny.rosen@example.com"
    # The subscription's own start (`start_date`), set by `start`.
    started: int | None = None
    # Which mode's events (a test-mode store connected with a test key reads test objects).
    livemode: bool = True

    def event(self, event_type: str, obj: dict[str, Any], at: datetime) -> dict[str, Any]:
        return samples.event(event_type, obj, livemode=self.livemode, created=unix(at))

    def send(self, event: dict[str, Any], *, work: bool = True) -> None:
        response = deliver(self.client, self.store, "stripe", event)
        assert response.status_code == 200, response.get_data(as_text=True)
        if work:
            work_queue(self.rt)

    def snapshot(
        self,
        event_type: str,
        at: datetime,
        *,
        status: str = "active",
        period: tuple[datetime, datetime] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        start, end = period or (at, at + 30 * DAY)
        extra.setdefault("start_date", self.started)
        obj = samples.subscription(
            status=status,
            subscription_id=self.subscription,
            customer=self.customer,
            period=(unix(start), unix(end)),
            **extra,
        )
        return self.event(f"customer.subscription.{event_type}", obj, at)

    def invoice(
        self,
        event_type: str,
        at: datetime,
        *,
        invoice_id: str,
        created: datetime | None = None,
        period: tuple[datetime, datetime] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        created = created or at
        start, end = period or (created, created + 30 * DAY)
        status = "paid" if event_type in ("invoice.paid", "invoice.payment_succeeded") else "open"
        obj = samples.invoice(
            amount=2000,
            status=status,
            subscription_id=self.subscription,
            customer=self.customer,
            email=self.email,
            invoice_id=invoice_id,
            created=unix(created),
            period=(unix(start), unix(end)),
            **extra,
        )
        return self.event(event_type, obj, at)

    def start(self, at: datetime, **extra: Any) -> None:
        """A subscription created and its first invoice paid."""
        self.started = extra.pop("start_date", None) or unix(at)
        first = "in_first_" + self.subscription
        self.send(
            self.invoice("invoice.paid", at, invoice_id=first, billing_reason="subscription_create")
        )
        self.send(self.snapshot("created", at, **extra))

    def answer(self, **query: str) -> dict[str, Any]:
        query = query or {"email": self.email}
        response = self.client.get(
            "/api/v1/access",
            query_string=query,
            headers={"Authorization": f"Bearer {self.store.api_key}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        body: dict[str, Any] = response.get_json()
        return body


def outbox(rt: Runtime, kind: str) -> list[OutboxMessage]:
    with Session(rt.engine) as session:
        statement = select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def ago(**delta: float) -> datetime:
    return utcnow() - timedelta(**delta)
