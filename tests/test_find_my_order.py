""" "Find my order": the link is emailed, never shown; nothing tells whether an order exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from shopsync.models import OutboxMessage
from shopsync.runtime import Runtime
from tests.email_support import mail_app, mail_environ
from tests.mail_server import MailServer, running_mail_server
from tests.pages import csrf_token, place_order, text_of
from tests.support import StoreFixture, work_queue

EMAIL = "ada.lovelace@example.com"  # what the sample orders are placed with


def find(
    client: FlaskClient, email: str, number: str, *, address: str = "203.0.113.7"
) -> TestResponse:
    return client.post(
        "/orders/find",
        data={"email": email, "number": number, "csrf_token": csrf_token(client, "/orders/find")},
        environ_base={"REMOTE_ADDR": address},
        follow_redirects=True,
    )


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    with running_mail_server() as server:
        yield server


@pytest.fixture
def app(environ: dict[str, str], mail_server: MailServer) -> Iterator[Flask]:
    with mail_app(mail_environ(environ, mail_server.url())) as application:
        yield application


def emails(rt: Runtime) -> list[OutboxMessage]:
    """The status-link emails (the orders' own emails are not this page's business)."""
    statement = select(OutboxMessage).where(
        col(OutboxMessage.idempotency_key).startswith("email:find_my_order:")
    )
    with Session(rt.engine) as session:
        return list(session.exec(statement))


def test_a_matching_order_gets_its_link_emailed_and_the_page_shows_no_link(
    client: FlaskClient, runtime: Runtime, store: StoreFixture, mail_server: MailServer
) -> None:
    order = place_order(client, runtime, store, "1001")

    response = find(client, "  Ada.Lovelace@Example.com ", "#1001")

    assert response.status_code == 200
    assert "Check your email" in text_of(response)
    assert order.public_token not in text_of(response)
    [message] = emails(runtime)
    assert (message.target, message.order_id, message.status) == (EMAIL, order.id, "pending")
    assert message.cause == "customer:find_my_order"
    work_queue(runtime)
    [sent] = [m for m in mail_server.received if m.subject == "Your link to order #1001"]
    assert sent.recipients == [EMAIL]
    status_url = f"http://shop.test/orders/{order.public_token}"
    assert status_url in sent.text and f'href="{status_url}"' in sent.html


def test_the_answer_is_the_same_whether_or_not_an_order_matches(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(client, runtime, store, "1002")

    matched = find(client, EMAIL, "1002", address="203.0.113.1")
    wrong_email = find(client, "someone.else@example.com", "1002", address="203.0.113.2")
    wrong_number = find(client, EMAIL, "9999", address="203.0.113.3")

    assert matched.status_code == wrong_email.status_code == wrong_number.status_code == 200
    assert text_of(matched) == text_of(wrong_email) == text_of(wrong_number)
    assert [m.target for m in emails(runtime)] == [EMAIL]


def test_asking_again_soon_sends_one_email(
    client: FlaskClient, runtime: Runtime, store: StoreFixture
) -> None:
    place_order(client, runtime, store, "1003")
    find(client, EMAIL, "1003", address="203.0.113.1")
    find(client, EMAIL, "#1003", address="203.0.113.2")
    assert len(emails(runtime)) == 1


def test_the_form_is_rate_limited_per_address_whatever_the_client(
    client: FlaskClient, runtime: Runtime
) -> None:
    answers = [
        find(client, "victim@example.com", "1", address=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    assert find(client, "other@example.com", "1", address="198.51.100.9").status_code == 200


def test_the_form_is_rate_limited_per_client(client: FlaskClient, runtime: Runtime) -> None:
    answers = [
        find(client, f"person{n}@example.com", "1", address="198.51.100.50").status_code
        for n in range(6)
    ]
    assert answers == [200] * 5 + [429]
    assert "Please wait a little" in text_of(
        find(client, "x@example.com", "1", address="198.51.100.50")
    )
