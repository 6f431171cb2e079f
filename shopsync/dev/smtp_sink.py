"""A local SMTP server for `shopsync dev`: it accepts every message and keeps none.

With no `SMTP_URL`, the development worker sends emails here, so they go through the
real channel and land in the outbox as sent; `shopsync outbox list --kind email` and
`shopsync outbox show ID` print them.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator
from typing import Any

import click

from shopsync.config import Settings

log = logging.getLogger(__name__)
HOST = "127.0.0.1"


class SmtpSink:
    def __init__(self) -> None:
        self._controller: Any = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def start(self) -> SmtpSink:
        try:
            from aiosmtpd.controller import Controller
        except ImportError:
            raise click.ClickException(
                "the local SMTP sink needs the aiosmtpd package: install it with "
                "`pip install -e '.[local]'` (make run does), or set SMTP_URL"
            ) from None
        self.port = _free_port()
        # aiosmtpd logs every connection at INFO: noise between the service's own lines.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller = Controller(_Accept(), hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextlib.contextmanager
def local_smtp_sink(settings: Settings) -> Iterator[Settings]:
    """Emails go through the real SMTP channel to a local sink unless SMTP_URL is set."""
    if settings.smtp_url is not None:
        yield settings
        return
    sink = SmtpSink().start()
    try:
        yield settings.with_overrides(smtp_url=sink.url)
    finally:
        sink.stop()


class _Accept:
    # aiosmtpd finds its hooks by these names.
    async def handle_DATA(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any
    ) -> str:
        log.info("local SMTP sink: an email to %s", ", ".join(envelope.rcpt_tos))
        return "250 2.0.0 Accepted by the development sink"


def _free_port() -> int:
    # aiosmtpd needs a real port number: it connects to it to know it started.
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port
