"""The store's webhook subscribers and the outbox, run from the admin, with a real receiver."""

from __future__ import annotations

import re

import jsonschema
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from shopsync.models import OutboxMessage
from shopsync.runtime import Runtime
from tests.pages import PASSWORD, add_admin, place_order, post_form, sign_in, text_of
from tests.receivers import Answer, Receiver
from tests.support import StoreFixture, work_queue
from tests.test_store_webhooks import SCHEMA, app, outbound_environ, receiver

# The outbox tests' fixtures: retries after milliseconds, a receiver gets one second.
__all__ = ["app", "outbound_environ", "receiver"]
SECRET = re.compile(r'<code class="secret" id="secret-\d+">(whsec_[^<]+)</code>')


@pytest.fixture
def owner(client: FlaskClient, runtime: Runtime, store: StoreFixture) -> FlaskClient:
    add_admin(runtime)
    assert sign_in(client).status_code == 303
    return client


def add(owner: FlaskClient, receiver: Receiver, *events: str) -> int:
    """Add the receiver as a subscriber through the form; it learns its secret from the page."""
    response = post_form(owner, "/admin/subscribers", url=receiver.url, events=list(events))
    assert response.status_code == 200, text_of(response)
    [secret] = SECRET.findall(text_of(response))
    receiver.secret = secret
    [subscriber_id] = re.findall(r'id="subscriber-(\d+)"', text_of(response))
    return int(subscriber_id)


def messages(rt: Runtime) -> list[OutboxMessage]:
    with Session(rt.engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def test_a_new_subscribers_secret_is_shown_once(
    owner: FlaskClient, receiver: Receiver, runtime: Runtime
) -> None:
    add(owner, receiver, "order.paid")
    listing = text_of(owner.get("/admin/subscribers"))
    assert receiver.url in listing and "order.paid" in listing
    assert receiver.secret not in listing and "whsec_" not in listing


def test_a_subscriber_url_that_cannot_work_is_refused_with_the_reason(
    owner: FlaskClient,
) -> None:
    response = post_form(owner, "/admin/subscribers", url="ftp://example.com/hooks")
    assert response.status_code == 422
    assert "the URL must start with" in text_of(response)


def test_secrets_are_revealed_only_to_the_password(owner: FlaskClient, receiver: Receiver) -> None:
    subscriber_id = add(owner, receiver)
    wrong = post_form(owner, f"/admin/subscribers/{subscriber_id}/reveal", password="guess")
    assert wrong.status_code == 403 and receiver.secret not in text_of(wrong)
    right = post_form(owner, f"/admin/subscribers/{subscriber_id}/reveal", password=PASSWORD)
    assert right.status_code == 200 and SECRET.findall(text_of(right)) == [receiver.secret]
    assert right.headers["Cache-Control"] == "no-store"


def test_rolling_a_secret_shows_the_new_one_and_keeps_the_old_one_signing(
    owner: FlaskClient, receiver: Receiver
) -> None:
    subscriber_id = add(owner, receiver)
    old = receiver.secret
    rolled = post_form(owner, f"/admin/subscribers/{subscriber_id}/roll")
    [new] = SECRET.findall(text_of(rolled))
    assert new != old
    revealed = post_form(owner, f"/admin/subscribers/{subscriber_id}/reveal", password=PASSWORD)
    assert SECRET.findall(text_of(revealed)) == [new, old]


def test_the_test_event_reaches_the_receiver_signed_in_the_documented_shape(
    owner: FlaskClient, receiver: Receiver, runtime: Runtime
) -> None:
    subscriber_id = add(owner, receiver, "order.paid")  # the test goes whatever it chose

    response = post_form(owner, f"/admin/subscribers/{subscriber_id}/test")
    assert response.status_code == 303
    [message] = messages(runtime)
    assert response.headers["Location"] == f"/admin/outbox/{message.id}"
    work_queue(runtime)

    [delivery] = receiver.requests
    assert delivery.verified and delivery.type == "order.test"
    jsonschema.validate(delivery.body, SCHEMA, format_checker=jsonschema.FormatChecker())
    page = text_of(owner.get(f"/admin/outbox/{message.id}"))
    assert "badge-sent" in page and "HTTP 200" in page and receiver.url in page
    assert "admin:owner@example.com" in page  # who caused it


def test_disabling_and_enabling_a_subscriber(
    owner: FlaskClient, receiver: Receiver, runtime: Runtime, store: StoreFixture
) -> None:
    subscriber_id = add(owner, receiver)
    assert post_form(owner, f"/admin/subscribers/{subscriber_id}/disable").status_code == 303
    assert "disabled by the store" in text_of(owner.get("/admin/subscribers"))
    assert "is disabled: disabled by the store" in text_of(owner.get("/admin/"))
    place_order(owner, runtime, store, "1001")
    assert receiver.requests == []

    post_form(owner, f"/admin/subscribers/{subscriber_id}/enable")
    place_order(owner, runtime, store, "1002")
    assert {d.body["data"]["order"]["id"] for d in receiver.requests} == {"1002"}


def test_removing_a_subscriber(owner: FlaskClient, receiver: Receiver, runtime: Runtime) -> None:
    subscriber_id = add(owner, receiver)
    assert post_form(owner, f"/admin/subscribers/{subscriber_id}/remove").status_code == 303
    assert receiver.url not in text_of(owner.get("/admin/subscribers"))


def test_a_message_the_receiver_refused_is_sent_again_from_the_outbox(
    owner: FlaskClient, receiver: Receiver, runtime: Runtime, store: StoreFixture
) -> None:
    add(owner, receiver, "order.paid")
    receiver.answer_next(Answer(status=400, headers={"webhook-delivery": "abort-message"}))
    place_order(owner, runtime, store, "1001")
    [message] = messages(runtime)
    assert message.status == "failed"

    failed = text_of(owner.get("/admin/outbox?kind=store_webhook&status=failed"))
    assert f'href="/admin/outbox/{message.id}"' in failed and "order.paid order #1001" in failed
    assert "No messages match." in text_of(owner.get("/admin/outbox?kind=email"))
    assert "1 message</a> failed or died" in text_of(owner.get("/admin/"))

    response = post_form(owner, f"/admin/outbox/{message.id}/replay")
    assert "Queued 1 message for replay." in text_of(owner.get(response.headers["Location"]))
    work_queue(runtime)
    assert [m.status for m in messages(runtime)] == ["sent"]
    first, second = receiver.requests
    assert first.message_id == second.message_id  # the receiver can tell it is the same
