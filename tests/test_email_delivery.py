"""Sending order emails over SMTP: retries, refusals, TLS and AUTH, against a real server."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from handlers.standard import samples as standard
from shopsync.cli import cli
from shopsync.runtime import Runtime
from shopsync.web.state import app_state
from tests.email_support import emails, mail_app, mail_environ, retry_due, send_standard
from tests.mail_server import MailServer, self_signed_certificate
from tests.processes import shopsync_worker, wait_until
from tests.support import StoreFixture, work_queue

ADA = "ada.lovelace@example.com"


@pytest.fixture
def mail() -> MailServer:
    """A server whose port is reserved but which each test starts when it wants."""
    return MailServer()


@pytest.fixture
def app(environ: dict[str, str], mail: MailServer) -> Iterator[Flask]:
    with mail_app(mail_environ(environ, mail.url())) as application:
        yield application


@contextmanager
def running(server: MailServer) -> Iterator[MailServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def runtime_of(app: Flask) -> Runtime:
    with app.app_context():
        return app_state().runtime


def json_field(payload: str, name: str) -> str:
    value: str = json.loads(payload)[name]
    return value


def pay(client: FlaskClient, store: StoreFixture, order_id: str = "D-1") -> None:
    send_standard(client, store, "order.created", standard.order(order_id))


def test_an_smtp_server_that_is_down_gets_the_email_exactly_once_when_back(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    pay(client, store)
    work_queue(runtime)
    [message] = emails(runtime)
    assert message.status == "retry"
    assert message.last_result == "could not connect: ConnectionRefusedError"

    mail.start()
    try:
        retry_due(runtime)
        retry_due(runtime)
    finally:
        mail.stop()
    assert [r.subject for r in mail.received] == ["Order #D-1 confirmed"]
    [message] = emails(runtime)
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_4xx_then_a_250_is_one_email_with_the_same_message_id(
    client: FlaskClient, store: StoreFixture, runtime: Runtime, mail: MailServer
) -> None:
    mail.refuse(ADA, "451 4.7.1 Greylisted, try again later")
    mail.data_answers.append("421 4.3.0 Try again later")
    with running(mail):
        pay(client, store)
        work_queue(runtime)
        [message] = emails(runtime)
        assert (message.status, message.last_result) == (
            "retry",
            "recipient refused: 451 4.7.1 Greylisted, try again later",
        )
        retry_due(runtime)
        assert emails(runtime)[0].last_result == "message refused: 421 4.3.0 Try again later"
        retry_due(runtime)
        retry_due(runtime)
    [received] = mail.received
    message = emails(runtime)[0]
    assert (message.status, message.attempts) == ("sent", 3)
    assert received.message_id == json_field(message.payload, "message_id")


def test_a_550_fails_the_email_at_once_and_shows_on_the_order(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    environ: dict[str, str],
) -> None:
    mail.refuse(ADA, "550 5.1.1 No such user here")
    with running(mail):
        pay(client, store, "E-1")
        work_queue(runtime)
        retry_due(runtime)
        assert mail.received == []
    [message] = emails(runtime)
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_result == "recipient refused: 550 5.1.1 No such user here"

    answer = client.get(
        "/api/v1/orders/E-1", headers={"Authorization": f"Bearer {store.api_key}"}
    ).get_json()
    assert answer["emails"] == [
        {
            "subject": "Order #E-1 confirmed",
            "to": ADA,
            "status": "failed",
            "result": "recipient refused: 550 5.1.1 No such user here",
            "sent_at": None,
        }
    ]
    listed = CliRunner(env=environ).invoke(cli, ["outbox", "list", "--order", "E-1"])
    assert listed.exit_code == 0, listed.output
    assert "failed" in listed.output and "550 5.1.1 No such user here" in listed.output


def test_outbox_show_prints_the_message_that_was_sent(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    environ: dict[str, str],
) -> None:
    with running(mail):
        pay(client, store)
        work_queue(runtime)
    [received] = mail.received
    [message] = emails(runtime)
    runner = CliRunner(env=environ)
    shown = runner.invoke(cli, ["outbox", "show", str(message.id)])
    assert shown.exit_code == 0, shown.output
    assert f"Message-ID: {received.message_id}" in shown.output
    assert "Subject: Order #D-1 confirmed" in shown.output
    assert received.text.strip() in shown.output and received.html.strip() in shown.output
    raw = runner.invoke(cli, ["outbox", "show", str(message.id), "--raw"])
    assert f"Message-ID: {received.message_id}" in raw.output
    assert "Content-Type: multipart/alternative" in raw.output


def test_starttls_and_auth_with_the_credentials_of_the_url(
    store: StoreFixture,
    environ: dict[str, str],
    tmp_path: Path,
) -> None:
    cert, context = self_signed_certificate(tmp_path)
    mail = MailServer(tls_context=context, logins={"shop": "s3cret/pass"})
    url = mail.url(user="shop", password="s3cret%2Fpass", cafile=str(cert))
    with running(mail), mail_app(mail_environ(environ, url)) as app:
        pay(app.test_client(), store)
        work_queue(runtime_of(app))
    [received] = mail.received
    assert received.tls and received.authenticated


def test_a_wrong_password_or_no_tls_is_retried_and_the_password_never_sent_in_clear(
    store: StoreFixture, environ: dict[str, str], tmp_path: Path
) -> None:
    cert, context = self_signed_certificate(tmp_path)
    secure = MailServer(tls_context=context, logins={"shop": "right"})
    plain = MailServer(logins={"shop": "right"})
    cases = [
        (
            secure,
            secure.url(user="shop", password="wrong", cafile=str(cert)),
            "could not connect: 535",
        ),
        (secure, secure.url(user="shop", password="right"), "could not connect: TLS failed"),
        (plain, plain.url(user="shop", password="right"), "no STARTTLS for the password"),
    ]
    for number, (server, url, expected) in enumerate(cases):
        with running(server), mail_app(mail_environ(environ, url)) as app:
            pay(app.test_client(), store, f"T-{number}")
            work_queue(runtime_of(app))
            message = emails(runtime_of(app))[-1]
        assert server.received == []
        assert message.status == "retry" and expected in (message.last_result or ""), (
            message.last_result
        )


def test_smtps_is_tls_from_the_first_byte(
    store: StoreFixture, environ: dict[str, str], tmp_path: Path
) -> None:
    cert, context = self_signed_certificate(tmp_path)
    mail = MailServer(tls_context=context, implicit_tls=True)
    with running(mail), mail_app(mail_environ(environ, mail.url(cafile=str(cert)))) as app:
        pay(app.test_client(), store)
        work_queue(runtime_of(app))
    [received] = mail.received
    assert received.tls


@pytest.mark.slow
def test_worker_killed_mid_send_sends_again_with_the_same_message_id_and_counts_it(
    client: FlaskClient,
    store: StoreFixture,
    runtime: Runtime,
    mail: MailServer,
    environ: dict[str, str],
    tmp_path: Path,
) -> None:
    env = {
        **mail_environ(environ, mail.url(timeout="30")),
        "SHOPSYNC_CLAIM_SECONDS": "2",
        "SHOPSYNC_RELAY_SECONDS": "1",
        "SHOPSYNC_RELAY_GRACE_SECONDS": "2",
    }
    # The first attempt reaches the server, which takes its time answering.
    mail.hold_next = 8
    with running(mail):
        pay(client, store, "K-1")
        doomed = shopsync_worker(env, log=tmp_path / "doomed.log")
        assert mail.arrived.wait(timeout=40), "the first attempt never arrived"
        doomed.signal_tree(signal.SIGKILL)  # sent, not yet recorded: the window
        doomed.stop()
        assert emails(runtime)[0].status == "sending"

        with shopsync_worker(env, log=tmp_path / "second.log"):
            wait_until(
                lambda: emails(runtime)[0].status == "sent",
                timeout=40,
                what="the second worker to send it",
            )
    first, second = mail.received
    assert first.message_id == second.message_id  # the mailbox can drop the double
    message = emails(runtime)[0]
    assert (message.attempts, message.redeliveries) == (2, 1)
