"""Order emails over SMTP, from `SMTP_URL`.

A batch shares one connection, opened for its first message and closed after its last;
every network step is bounded by the URL's timeout. `smtp://` upgrades with STARTTLS
when the server offers it and never sends a password without TLS; `smtps://` is TLS
from the start. Each message is built from what the outbox holds (headers and both
parts were rendered when it was written), so every attempt sends the same message with
the same `Message-ID`, derived from its key: a receiver can drop the one double that a
worker dying between "sent" and "recorded" can cause.

Outcomes:
- accepted (250): sent.
- the recipient refused with a 5xx (550 no such mailbox), the message refused with a
  5xx, an address that cannot be one: failed at once, and shown on the order.
- a 4xx anywhere, a refused, lost or timed-out connection, TLS or AUTH trouble, the
  sender refused: retried on the email schedule (outbox.policy), dead after about a day.
  Once connecting fails, the rest of the batch is retried later without more attempts.
- superseded, the moment turned off, the customer's emails turned off since it was
  written: skipped (customers.notifications decides).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP

from sqlalchemy import Engine
from sqlmodel import Session

from shopsync.customers.notifications import reason_to_skip
from shopsync.models import OutboxKind, OutboxMessage
from shopsync.outbox.channels.base import Outcome
from shopsync.outbox.tls import verifying_context
from shopsync.smtp import SmtpServer

log = logging.getLogger(__name__)
DETAIL_LIMIT = 200


class InvalidEmail(ValueError):
    """The stored message cannot be sent to anyone (a malformed address, say)."""


def build_message(message: OutboxMessage) -> EmailMessage:
    """The exact message an attempt sends (and `shopsync outbox show` prints)."""
    stored = json.loads(message.payload)
    email = EmailMessage(policy=SMTP)
    try:
        recipient = Address(addr_spec=stored["to"])
        email["From"] = stored["from"]
        email["To"] = recipient
        if stored.get("reply_to"):
            email["Reply-To"] = Address(addr_spec=stored["reply_to"])
        email["Subject"] = stored["subject"]
        email["Date"] = stored["date"]
        email["Message-ID"] = stored["message_id"]
    except (ValueError, IndexError, KeyError) as error:
        raise InvalidEmail(f"invalid message: {type(error).__name__}") from None
    email.set_content(stored["text"])
    email.add_alternative(stored["html"], subtype="html")
    return email


class EmailChannel:
    kind = OutboxKind.EMAIL

    def __init__(self, engine: Engine, server: SmtpServer | None) -> None:
        self._engine = engine
        self._server = server

    def deliver(self, messages: list[OutboxMessage]) -> Iterator[tuple[OutboxMessage, Outcome]]:
        connection = Connection(self._server) if self._server else None
        try:
            for message in messages:
                yield message, self._deliver_one(connection, message)
        finally:
            if connection is not None:
                connection.close()

    def gave_up(self, message: OutboxMessage) -> None:
        log.warning("email %s given up after its last attempt", message.id)

    def _deliver_one(self, connection: Connection | None, message: OutboxMessage) -> Outcome:
        if connection is None:
            return Outcome.retry("SMTP_URL is not set for this worker")
        with Session(self._engine) as session:
            reason = reason_to_skip(session, message)
        if reason is not None:
            return Outcome.skipped(reason)
        try:
            email = build_message(message)
        except InvalidEmail as error:
            return Outcome.failed(str(error))
        return connection.send(email)


class Connection:
    """One SMTP session for a batch, opened on first use."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server
        self._smtp: smtplib.SMTP | None = None
        # Why connecting failed: the rest of the batch waits for its retry.
        self._down: str | None = None

    def send(self, email: EmailMessage) -> Outcome:
        if self._down is not None:
            return Outcome.retry(self._down)
        try:
            smtp = self._open()
        except (smtplib.SMTPException, OSError) as error:
            self._down = f"could not connect: {_describe(error)}"
            self.close()
            return Outcome.retry(self._down)
        try:
            smtp.send_message(email)
        except (smtplib.SMTPException, OSError) as error:
            outcome = refusal(error)
            if outcome is None:
                self.close()
                return Outcome.retry(f"connection failed: {_describe(error)}")
            return outcome
        return Outcome.sent(f"accepted by {self._server.host}")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _open(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        server = self._server
        context = verifying_context(server.cafile)
        smtp: smtplib.SMTP
        if server.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        self._smtp = smtp
        smtp.ehlo()
        if not server.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        elif not server.implicit_tls and server.username:
            raise smtplib.SMTPException("the server offers no STARTTLS for the password")
        if server.username:
            smtp.login(server.username, server.password or "")
        return smtp


def refusal(error: smtplib.SMTPException | OSError) -> Outcome | None:
    """How the server refused this message; None when the connection itself failed."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()))
        return _judge(code, text, "recipient refused")
    if isinstance(error, smtplib.SMTPSenderRefused):
        # Our own from address: fixing the store's settings fixes every message.
        return Outcome.retry(f"sender refused: {error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPDataError):
        return _judge(error.smtp_code, error.smtp_error, "message refused")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return Outcome.failed("the address needs SMTPUTF8, which the server does not offer")
    return None


def _judge(code: int, text: bytes | str, what: str) -> Outcome:
    detail = f"{what}: {code} {_text(text)}"
    return Outcome.failed(detail) if 500 <= code < 600 else Outcome.retry(detail)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed ({error.reason or type(error).__name__})"
    if isinstance(error, smtplib.SMTPException) and error.args:
        return str(error.args[0])[:DETAIL_LIMIT]
    return type(error).__name__


def _text(value: bytes | str) -> str:
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:DETAIL_LIMIT]
