"""The store's own systems in the bench: a subscriber for order webhooks and a mail sink.

`start` registers a subscriber with `shopsync store add-subscriber` (so each paid order
writes an outbox `order.paid` row) and starts bench.receiver with the secret it was
given; SMTP_URL points at the same process's mail sink, so each paid order also writes a
customer's "confirmed" email. The receiver's journal says what arrived and when.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from bench import servers
from bench.options import HOST
from bench.receiver import PATH, SECRET_VARIABLE, read_journal

EVENTS = "order.paid"
SECRET_LINE = re.compile(r"signing secret[^:]*:\s*(\S+)")


class StoreSide(servers.Managed):
    """The receiver process, with where it listens and what it has received."""

    def __init__(
        self, argv: list[str], env: dict[str, str], logs: Path, *, url: str, journal: Path
    ) -> None:
        super().__init__("store-side", argv, env, logs)
        self.url = url
        self.journal = journal

    def arrivals(self) -> list[dict[str, Any]]:
        return read_journal(self.journal)

    def webhooks(self) -> list[dict[str, Any]]:
        return [record for record in self.arrivals() if record["via"] == "webhook"]


def start(
    env: dict[str, str], store_id: str, port: int, smtp_port: int, journal: Path, logs: Path
) -> StoreSide:
    url = f"http://{HOST}:{port}{PATH}"
    output = servers.run_cli(["store", "add-subscriber", store_id, url, "--events", EVENTS], env)
    found = SECRET_LINE.search(output)
    if found is None:
        raise RuntimeError("store add-subscriber printed no signing secret")
    argv = [
        sys.executable,
        "-m",
        "bench.receiver",
        "--port",
        str(port),
        "--smtp-port",
        str(smtp_port),
        "--out",
        str(journal),
    ]
    side = StoreSide(argv, {**env, SECRET_VARIABLE: found.group(1)}, logs, url=url, journal=journal)
    servers.wait_http_ready(side, port)
    return side
