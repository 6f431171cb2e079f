"""Helpers for email tests: an app that sends to a real SMTP server, and reading it back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from handlers.standard import samples as standard
from shopsync.app import create_app
from shopsync.config import Settings
from shopsync.models import OutboxMessage
from shopsync.pipeline import jobs
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.support import StoreFixture, deliver, work_queue


def mail_environ(environ: dict[str, str], smtp_url: str) -> dict[str, str]:
    # Retries after milliseconds: the schedule's shape, fast.
    return {**environ, "SMTP_URL": smtp_url, "SHOPSYNC_OUTBOX_RETRY_SCALE": "0.0001"}


@contextmanager
def mail_app(environ: dict[str, str]) -> Iterator[Flask]:
    application = create_app(Settings.from_env(environ))
    try:
        yield application
    finally:
        with application.app_context():
            app_state().runtime.close()


def emails(rt: Runtime, order_id: int | None = None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(OutboxMessage.kind == "email")
    if order_id is not None:
        statement = statement.where(OutboxMessage.order_id == order_id)
    with Session(rt.engine) as session:
        return list(session.exec(statement.order_by(col(OutboxMessage.id))))


def send_standard(
    client: FlaskClient, store: StoreFixture, event_type: str, data: dict[str, Any], **kw: Any
) -> None:
    response = deliver(client, store, "standard", standard.event(event_type, data, **kw))
    assert response.status_code == 200, response.get_data(as_text=True)


def retry_due(rt: Runtime) -> None:
    """What the relay does once a retry's time has come (milliseconds here)."""
    time.sleep(0.05)
    jobs.relay()
    work_queue(rt)
