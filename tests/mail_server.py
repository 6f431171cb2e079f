"""A real SMTP server for the tests (aiosmtpd), with scripted answers, STARTTLS and AUTH."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.certificates import write_self_signed_certificate
from tests.processes import free_port

HOST = "127.0.0.1"


@dataclass
class Received:
    """One message the server accepted, as the recipient's mailbox would see it."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    authenticated: bool
    tls: bool

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        content: str = body.get_content()
        return content.replace("\r\n", "\n")

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


@dataclass
class MailServer:
    """An SMTP server on a fixed port that can be started, stopped and started again."""

    port: int = field(default_factory=free_port)
    tls_context: ssl.SSLContext | None = None
    implicit_tls: bool = False
    logins: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    # Answers to give instead of accepting, per recipient (RCPT) or for the next DATA.
    rcpt_answers: dict[str, deque[str]] = field(default_factory=dict)
    data_answers: deque[str] = field(default_factory=deque)
    # Seconds to wait before answering the next accepted DATA (a slow server).
    hold_next: float = 0.0
    arrived: threading.Event = field(default_factory=threading.Event)
    _controller: Controller | None = None

    def url(self, *, user: str | None = None, password: str | None = None, **options: str) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        credentials = f"{user}:{password}@" if user else ""
        query = "&".join(f"{k}={v}" for k, v in {"timeout": "2", **options}.items())
        return f"{scheme}://{credentials}{HOST}:{self.port}?{query}"

    def refuse(self, address: str, *answers: str) -> None:
        self.rcpt_answers.setdefault(address.lower(), deque()).extend(answers)

    def start(self) -> MailServer:
        kwargs: dict[str, Any] = {"hostname": HOST, "port": self.port}
        if self.tls_context is not None and self.implicit_tls:
            kwargs["ssl_context"] = self.tls_context
        elif self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True)
        if self.logins:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = self.tls_context is not None
        self._controller = Controller(_Handler(self), **kwargs)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login, password = data.login.decode(), data.password.decode()
            if self.logins.get(login) == password:
                return AuthResult(success=True)
        # handled=False makes aiosmtpd answer 535 (True would leave the client hanging).
        return AuthResult(success=False, handled=False)


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        answers = self.server.rcpt_answers.get(address.lower())
        if answers:
            return answers.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.data_answers:
            return self.server.data_answers.popleft()
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.server.received.append(
            Received(
                mail_from=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=message,
                authenticated=bool(session.authenticated),
                tls=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        self.server.arrived.set()
        hold, self.server.hold_next = self.server.hold_next, 0.0
        if hold:
            await asyncio.sleep(hold)
        return "250 2.0.0 Message accepted for delivery"


@contextmanager
def running_mail_server(**options: Any) -> Iterator[MailServer]:
    server = MailServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1 (file, for the client to trust) and the server's context."""
    cert_path, key_path = write_self_signed_certificate(
        directory, name="localhost", addresses=(HOST,)
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context
