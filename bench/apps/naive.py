"""Scenario (b): a webhook receiver written "the obvious way", for comparison.

`stripe.Webhook.construct_event` on the body, an ORM INSERT, an RQ enqueue, all in the
request. Configured by BENCH_DATABASE_URL, BENCH_REDIS_URL and BENCH_STRIPE_SECRET;
served as `gunicorn 'bench.apps.naive:create_app()'`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import stripe
from flask import Flask, request
from redis import Redis
from rq import Queue
from sqlalchemy import DateTime, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

QUEUE_NAME = "bench-naive"


class Base(DeclarativeBase):
    pass


class NaiveEvent(Base):
    __tablename__ = "bench_naive_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(120))
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=lambda: datetime.now(UTC)
    )


def process_event(event_id: str) -> None:
    """The job the naive app enqueues; the benchmark never runs it."""


def create_app() -> Flask:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    queue = Queue(QUEUE_NAME, connection=Redis.from_url(os.environ["BENCH_REDIS_URL"]))
    secret = os.environ["BENCH_STRIPE_SECRET"]
    flask_app = Flask(__name__)

    @flask_app.post("/webhook")
    def webhook() -> tuple[str, int]:
        payload = request.get_data()
        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = stripe.Webhook.construct_event(payload, signature, secret)
        except (ValueError, stripe.SignatureVerificationError):
            return "invalid", 400
        with Session(engine) as session:
            session.add(
                NaiveEvent(event_id=event.id, event_type=event.type, payload=payload.decode())
            )
            session.commit()
        queue.enqueue(process_event, event.id)
        return "", 200

    @flask_app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200

    return flask_app
