"""The store's side of the bench: a webhook receiver and a mail sink, in their own process.

`python -m bench.receiver --port P --smtp-port S --out FILE` with the subscriber's
signing secret in BENCH_RECEIVER_SECRET. Every POST is verified with the
`standardwebhooks` library, as a store's system would, then answered 204; every mail
is accepted. Each arrival is one JSON line in FILE, written when it arrives:

    {"t": <epoch s>, "via": "webhook", "id": webhook-id, "type": ..., "order": ...,
     "verified": true}
    {"t": <epoch s>, "via": "smtp", "id": Message-ID, "to": [...]}

A process of its own, so its CPU and GIL are not the bench driver's, and its clock
(time.time) is the machine's, which the sender's timestamps share.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

from aiosmtpd.controller import Controller
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bench.options import HOST

SECRET_VARIABLE = "BENCH_RECEIVER_SECRET"
PATH = "/hooks/shopsync"


class Journal:
    """Arrivals, one JSON line each, flushed as they come (the bench reads the file)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


def serve_webhooks(port: int, secret: str, journal: Journal) -> ThreadingHTTPServer:
    verifier = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as shopsync's sender pools its connections.
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # readiness probe
            self._answer(200 if self.path == "/healthz" else 404)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            arrived = time.time()
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                verifier.verify(raw.decode(), headers)
                verified = True
            except WebhookVerificationError:
                verified = False
            record: dict[str, Any] = {
                "t": arrived,
                "via": "webhook",
                "id": headers.get("webhook-id"),
                "verified": verified,
            }
            if verified:
                body = json.loads(raw)
                order = body.get("data", {}).get("order", {})
                record.update(type=body.get("type"), order=order.get("id"))
            journal.write(record)
            self._answer(204 if verified else 401)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    return server


class MailSink:
    """aiosmtpd handler: accept every message and note its Message-ID and recipients."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self._journal.write(
            {
                "t": time.time(),
                "via": "smtp",
                "id": str(message["Message-ID"]),
                "to": [str(address).lower() for address in envelope.rcpt_tos],
            }
        )
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.receiver")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    secret = os.environ[SECRET_VARIABLE]
    with args.out.open("a") as out:
        journal = Journal(out)
        mail = Controller(MailSink(journal), hostname=HOST, port=args.smtp_port)
        mail.start()
        try:
            serve_webhooks(args.port, secret, journal).serve_forever()
        finally:
            mail.stop()


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every complete line written so far."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:  # a line being written right now
            continue
    return records


if __name__ == "__main__":
    main()
