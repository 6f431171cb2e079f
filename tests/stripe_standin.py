"""A local stand-in for the few Stripe API endpoints shopsync calls: a real HTTP server.

It checks the `Authorization: Bearer` key, records every request (method, path, form,
idempotency key), answers an idempotency key it has seen with the same body (as Stripe
does for 24 hours), and serves subscriptions and entitlements the test puts in it.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.processes import free_port


@dataclass
class Call:
    method: str
    path: str
    form: dict[str, list[str]]
    idempotency_key: str | None


LIVE_KEY = "sk_live_" + "51HqLyjWDarjtT1zdp7dc4eC"


@dataclass
class StripeStandIn:
    api_key: str = "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc"
    # The same account's live-mode key: its endpoints are apart from the test ones.
    live_key: str = LIVE_KEY
    port: int = field(default_factory=free_port)
    calls: list[Call] = field(default_factory=list)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    entitlements: dict[str, list[str]] = field(default_factory=dict)
    # Checkout Sessions' line items by session id (`cs_...`), as the API lists them.
    line_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Answer this many line item listings with a 500 first.
    line_items_failures: int = 0
    replies: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # Answer the next N endpoint creations with a dropped connection after creating it.
    drop_after_create: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StripeStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

            def do_DELETE(self) -> None:
                standin._handle(self, "DELETE")

            def log_message(self, *_args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        form = parse_qs(request.rfile.read(length).decode()) if length else parse_qs(url.query)
        key = request.headers.get("Idempotency-Key")
        self.calls.append(Call(method, url.path, form, key if method == "POST" else None))
        authorization = request.headers.get("Authorization")
        if authorization not in (f"Bearer {self.api_key}", f"Bearer {self.live_key}"):
            error = {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}}
            return _reply(request, 401, error)
        live = authorization == f"Bearer {self.live_key}"
        if method == "POST" and key and key in self.replies:
            status, body = self.replies[key]
        else:
            status, body = self._route(method, url.path, form, live)
        if method == "POST" and key:
            self.replies[key] = (status, body)
        if method == "POST" and url.path == "/v1/webhook_endpoints" and self.drop_after_create:
            # Created (or replayed), but the answer is lost on the way back.
            self.drop_after_create -= 1
            request.close_connection = True
            request.connection.close()
            return None
        return _reply(request, status, body)

    def _route(
        self, method: str, path: str, form: dict[str, list[str]], live: bool
    ) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if (method, path) == ("GET", "/v1/account"):
            return 200, {"id": "acct_standin01", "object": "account"}
        if (method, path) == ("POST", "/v1/webhook_endpoints"):
            return 200, self._create_endpoint(form, live)
        if parts[:2] == ["v1", "webhook_endpoints"] and len(parts) == 3:
            return self._endpoint(method, parts[2], live)
        if parts[:3] == ["v1", "checkout", "sessions"] and parts[4:] == ["line_items"]:
            return self._line_items(parts[3], path)
        if (
            method == "GET"
            and parts[:2] == ["v1", "subscriptions"]
            and parts[2] in self.subscriptions
        ):
            return 200, self.subscriptions[parts[2]]
        if (method, path) == ("GET", "/v1/entitlements/active_entitlements"):
            keys = self.entitlements.get(form.get("customer", [""])[0], [])
            data = [
                {"id": f"ent_{k}", "object": "entitlements.active_entitlement", "lookup_key": k}
                for k in keys
            ]
            return 200, {"object": "list", "data": data, "has_more": False, "url": path}
        return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}

    def _endpoint(self, method: str, endpoint_id: str, live: bool) -> tuple[int, dict[str, Any]]:
        found = self.endpoints.get(endpoint_id)
        if found is None or found["livemode"] != live:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
        if method == "DELETE":
            del self.endpoints[endpoint_id]
            return 200, {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}
        shown = {k: v for k, v in found.items() if k != "secret"}  # only creation returns it
        return 200, shown

    def _line_items(self, session_id: str, path: str) -> tuple[int, dict[str, Any]]:
        if self.line_items_failures:
            self.line_items_failures -= 1
            return 500, {"error": {"type": "api_error", "message": "An unknown error occurred"}}
        if session_id not in self.line_items:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing"}}
        data = self.line_items[session_id]
        return 200, {"object": "list", "data": data, "has_more": False, "url": path}

    def _create_endpoint(self, form: dict[str, list[str]], live: bool) -> dict[str, Any]:
        endpoint: dict[str, Any] = {
            "id": "we_" + secrets.token_hex(8),
            "object": "webhook_endpoint",
            "api_version": form.get("api_version", [None])[0],
            "enabled_events": [
                v for k, vs in form.items() if k.startswith("enabled_events") for v in vs
            ],
            "url": form["url"][0],
            "status": "enabled",
            "livemode": live,
            "secret": "whsec_" + secrets.token_hex(24),
        }
        self.endpoints[endpoint["id"]] = endpoint
        return endpoint


def _reply(request: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


@contextmanager
def running_stripe() -> Iterator[StripeStandIn]:
    standin = StripeStandIn().start()
    try:
        yield standin
    finally:
        standin.stop()
