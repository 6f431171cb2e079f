"""A local HTTP server standing in for the Mailchimp Marketing API 3.0, for one test.

It checks HTTP Basic auth the way Mailchimp does (any user name, the API key as the
password), records every request (method, path, JSON body), and answers in Mailchimp's
documented shapes, errors as `application/problem+json`. Audiences, their members
(keyed by subscriber hash, state set by tests) and their webhooks live in memory.

Routes are a table of (method, path pattern, function): `AUDIENCE_ROUTES` here; another
module adds its own (`standin.add_routes(ECOMMERCE_ROUTES)`), keeping what it needs in
`standin.state`. Switches: `down = "503"` (Mailchimp answering 503) or `"drop"` (the
connection closed without an answer), `throttle(n)` (the next n requests get 429),
`delay` (seconds each request takes; `max_in_flight` shows the most at once), and
`validate_urls` (a webhook's URL must answer a GET with 200 first, as Mailchimp checks).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.api_standin import ApiCall, JsonStandIn

API_KEY = "0123456789abcdef0123456789abcdef-us21"
AUDIENCE_ID = "a1b2c3d4e5"
AUDIENCE_NAME = "Juniper & Co. Newsletter"
ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"

Answer = tuple[int, Any]
Handler = Callable[["MailchimpStandIn", ApiCall, re.Match[str]], Answer]
Route = tuple[str, re.Pattern[str], Handler]


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode(), usedforsecurity=False).hexdigest()


def problem(status: int, title: str, detail: str, **extra: Any) -> Answer:
    body = {"type": ERRORS_DOC, "title": title, "status": status, "detail": detail}
    return status, {**body, "instance": str(uuid.uuid4()), **extra}


def not_found() -> Answer:
    return problem(404, "Resource Not Found", "The requested resource could not be found.")


@dataclass
class MailchimpStandIn(JsonStandIn):
    api_key: str = API_KEY
    audiences: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (audience id, subscriber hash) -> member
    members: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # audience id -> webhook id -> webhook
    webhooks: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    # What added routes keep (e-commerce stores, orders, ...).
    state: dict[str, Any] = field(default_factory=dict)
    down: str | None = None
    delay: float = 0.0
    validate_urls: bool = False
    in_flight: int = 0
    max_in_flight: int = 0
    _throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.routes = [*AUDIENCE_ROUTES, *self.routes]
        if not self.audiences:
            self.add_audience(AUDIENCE_ID, AUDIENCE_NAME)

    def add_routes(self, routes: list[Route]) -> None:
        self.routes.extend(routes)

    def throttle(self, count: int) -> None:
        """The next `count` requests are refused with 429."""
        with self._lock:
            self._throttled = count

    def add_audience(self, audience_id: str, name: str) -> dict[str, Any]:
        audience = {
            "id": audience_id,
            "web_id": 100000 + len(self.audiences),
            "name": name,
            "contact": {"company": "Juniper & Co.", "country": "GB"},
            "permission_reminder": "You signed up at our shop.",
            "campaign_defaults": {"from_name": "Juniper & Co.", "language": "en"},
            "date_created": "2026-01-10T09:00:00+00:00",
            "double_optin": False,
            "stats": {"member_count": 0, "unsubscribe_count": 0, "cleaned_count": 0},
            "_links": [],
        }
        self.audiences[audience_id] = audience
        return audience

    def set_member(
        self,
        email: str,
        status: str,
        *,
        audience_id: str = AUDIENCE_ID,
        first_name: str = "",
        last_name: str = "",
    ) -> dict[str, Any]:
        """Put a member in the state Mailchimp would report for it."""
        key = subscriber_hash(email)
        member = {
            "id": key,
            "email_address": email,
            "unique_email_id": key[:10],
            "contact_id": key[:24],
            "full_name": f"{first_name} {last_name}".strip(),
            "web_id": 5000 + len(self.members),
            "email_type": "html",
            "status": status,
            "merge_fields": {"FNAME": first_name, "LNAME": last_name, "ADDRESS": "", "PHONE": ""},
            "interests": {},
            "ip_signup": "",
            "timestamp_signup": "",
            "ip_opt": "198.51.100.7",
            "timestamp_opt": "2026-11-02T10:15:00+00:00",
            "member_rating": 2,
            "last_changed": "2026-12-01T12:00:00+00:00",
            "language": "en",
            "vip": False,
            "source": "Hosted Signup Form",
            "tags_count": 0,
            "tags": [],
            "list_id": audience_id,
            "_links": [],
        }
        self.members[(audience_id, key)] = member
        return member

    def forget_member(self, email: str, *, audience_id: str = AUDIENCE_ID) -> None:
        self.members.pop((audience_id, subscriber_hash(email)), None)

    def new_id(self) -> str:
        return hashlib.sha1(str(next(self._ids)).encode(), usedforsecurity=False).hexdigest()[:10]

    def requests_made(self) -> list[tuple[str, str, Any]]:
        """(method, path, JSON body) of every request, in order, without credentials."""
        return [(call.method, call.path, call.body) for call in self.calls]

    def route(self, call: ApiCall) -> Answer:
        if call.headers.get("authorization") != self._expected_auth():
            return problem(
                401,
                "API Key Invalid",
                "Your API key may be invalid, or you've attempted to access the wrong datacenter.",
            )
        with self._lock:
            if self._throttled > 0:
                self._throttled -= 1
                return problem(
                    429,
                    "Too Many Requests",
                    "You have exceeded the limit of 10 simultaneous connections.",
                )
        path = "/" + call.path.strip("/").removeprefix("3.0/")
        for method, pattern, handler in self.routes:
            found = pattern.fullmatch(path)
            if found and method == call.method:
                return handler(self, call, found)
        return not_found()

    def _expected_auth(self) -> str:
        # The SDK sends the user name "user"; Mailchimp ignores it and reads the password.
        return "Basic " + base64.b64encode(f"user:{self.api_key}".encode()).decode()

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        if self.down == "drop":
            request.close_connection = True
            return
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            self._answer(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        call = ApiCall(
            method=request.command,
            path=url.path,
            query=parse_qs(url.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=json.loads(raw) if raw and raw != b"null" else None,
        )
        self.calls.append(call)
        if self.down == "503":
            self._send(request, 503, b"", "text/html")
            return
        status, body = self.route(call)
        if status == 204:
            self._send(request, 204, b"", "application/json")
            return
        kind = "application/problem+json" if status >= 400 else "application/json"
        self._send(request, status, json.dumps(body).encode(), f"{kind}; charset=utf-8")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, data: bytes, kind: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)


AUDIENCE_ROUTES: list[Route] = []


def _on(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        AUDIENCE_ROUTES.append((method, re.compile(pattern), handler))
        return handler

    return register


@_on("GET", r"/ping")
def _ping(_standin: MailchimpStandIn, _call: ApiCall, _found: re.Match[str]) -> Answer:
    return 200, {"health_status": "Everything's Chimpy!"}


@_on("GET", r"/lists")
def _lists(standin: MailchimpStandIn, _call: ApiCall, _found: re.Match[str]) -> Answer:
    lists = list(standin.audiences.values())
    constraints = {"may_create": True, "max_instances": -1, "current_total_instances": len(lists)}
    return 200, {"lists": lists, "total_items": len(lists), "constraints": constraints}


@_on("GET", r"/lists/(?P<list_id>[^/]+)")
def _list(standin: MailchimpStandIn, _call: ApiCall, found: re.Match[str]) -> Answer:
    audience = standin.audiences.get(found["list_id"])
    return (200, audience) if audience else not_found()


@_on("GET", r"/lists/(?P<list_id>[^/]+)/members/(?P<hash>[^/]+)")
def _member(standin: MailchimpStandIn, _call: ApiCall, found: re.Match[str]) -> Answer:
    member = standin.members.get((found["list_id"], found["hash"].lower()))
    return (200, member) if member else not_found()


@_on("POST", r"/lists/(?P<list_id>[^/]+)/webhooks")
def _create_webhook(standin: MailchimpStandIn, call: ApiCall, found: re.Match[str]) -> Answer:
    list_id = found["list_id"]
    if list_id not in standin.audiences:
        return not_found()
    body = call.body if isinstance(call.body, dict) else {}
    url = body.get("url")
    if not isinstance(url, str) or (standin.validate_urls and not _answers_get(url)):
        return problem(
            400,
            "Invalid Resource",
            "The resource submitted could not be validated. For field-specific details, "
            "see the 'errors' array.",
            errors=[{"field": "url", "message": "We couldn't verify the URL is working."}],
        )
    webhook_id = standin.new_id()
    webhook: dict[str, Any] = {
        "id": webhook_id,
        "url": url,
        "events": body.get("events") or {},
        "sources": body.get("sources") or {},
        "list_id": list_id,
        "_links": [],
    }
    standin.webhooks.setdefault(list_id, {})[webhook_id] = webhook
    return 200, webhook


@_on("DELETE", r"/lists/(?P<list_id>[^/]+)/webhooks/(?P<webhook_id>[^/]+)")
def _delete_webhook(standin: MailchimpStandIn, _call: ApiCall, found: re.Match[str]) -> Answer:
    hooks = standin.webhooks.get(found["list_id"], {})
    if hooks.pop(found["webhook_id"], None) is None:
        return not_found()
    return 204, None


def _answers_get(url: str) -> bool:
    """Mailchimp saves a webhook only if its URL answers a GET with 200."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return int(answer.status) == 200
    except OSError:
        return False


@contextmanager
def running_mailchimp() -> Iterator[MailchimpStandIn]:
    standin = MailchimpStandIn()
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
