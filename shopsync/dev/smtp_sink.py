"""A local SMTP server for `shopsync dev`: it accepts every message and keeps none.

With no `SMTP_URL`, the development worker sends emails here, so they go through the
real channel and land in the outbox as sent; `shopsync outbox list --kind email` and
`shopsync outbox show ID` print them.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from shopsync.errors import ConfigError

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
            raise ConfigError(
                "set SMTP_URL, or install the dev extra for the local SMTP sink (aiosmtpd)"
            ) from None
        self.port = _free_port()
        self._controller = Controller(_Accept(), hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


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
