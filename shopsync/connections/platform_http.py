"""JSON calls to a store platform's API at an address a user typed (a WooCommerce site, a
Shopify shop), through the outbox's SSRF guard.

A site URL typed into a form is untrusted: under the `public` target policy
(production's) it must be https and resolve only to public addresses, checked after DNS
resolution on every call, and the connection goes to the address that was checked
(`outbox.http`). Redirects are not followed, answers are read up to a size cap, and
credentials travel only in headers, never in a URL that could be logged.

Errors, as this module raises them:

    ProviderError
    ├── PlatformUnreachable   no answer, a timeout, a refused or blocked address, a 5xx,
    │                         a redirect, or an answer that is not JSON
    ├── PlatformRefused       401 or 403: the credentials are wrong or lack a permission
    └── PlatformRejected      any other 4xx (a 404: no such thing, or no such API there)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpcore

from shopsync.errors import ProviderError
from shopsync.outbox.http import TargetPolicy, check_url, new_pool

MAX_ANSWER_BYTES = 1024 * 1024
CONNECT_SECONDS = 5.0
USER_AGENT = "shopsync-connect/1"
UNAUTHORIZED = (401, 403)


class PlatformUnreachable(ProviderError):
    """The platform could not be reached, or did not answer as an API does."""


class PlatformRefused(ProviderError):
    """The platform refused the credentials (401, 403)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class PlatformRejected(ProviderError):
    """The platform answered the request with a 4xx other than 401 and 403."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any


@dataclass
class PlatformClient:
    """Calls one platform's API under a target policy, with a timeout per call."""

    policy: TargetPolicy
    timeout: float = 10.0

    def __post_init__(self) -> None:
        self._pool = new_pool(self.policy)

    def close(self) -> None:
        self._pool.close()

    def call(
        self, method: str, url: str, *, headers: dict[str, str], body: object | None = None
    ) -> Answer:
        """One request; raises as the module docstring says, else the status and JSON."""
        problem = check_url(url, self.policy)
        if problem is not None:
            raise PlatformUnreachable(problem)
        content = json.dumps(body).encode() if body is not None else b""
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        if body is not None:
            sent["Content-Type"] = "application/json"
        try:
            status, raw = self._send(method, url, sent, content)
        except httpcore.TimeoutException:
            raise PlatformUnreachable("the site did not answer in time") from None
        except httpcore.ConnectError as error:
            raise PlatformUnreachable(_connect_problem(error)) from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol):
            raise PlatformUnreachable("the connection to the site failed") from None
        return _judge(status, raw)

    def _send(
        self, method: str, url: str, headers: dict[str, str], content: bytes
    ) -> tuple[int, bytes]:
        limit = {"connect": min(CONNECT_SECONDS, self.timeout), "read": self.timeout}
        timeouts = {**limit, "write": self.timeout, "pool": limit["connect"]}
        with self._pool.stream(
            method,
            url,
            headers=list(headers.items()),
            content=content,
            extensions={"timeout": timeouts},
        ) as response:
            chunks, size = [], 0
            for chunk in response.iter_stream():
                size += len(chunk)
                if size > MAX_ANSWER_BYTES:
                    raise PlatformUnreachable("the site's answer is too large")
                chunks.append(chunk)
            return response.status, b"".join(chunks)


def _connect_problem(error: httpcore.ConnectError) -> str:
    # BlockedDestination's message names the host, never a credential.
    text = str(error)
    if "private, loopback or link-local" in text:
        return text
    return "the site could not be reached (no such host, or the connection was refused)"


def _judge(status: int, raw: bytes) -> Answer:
    if status in UNAUTHORIZED:
        raise PlatformRefused(f"the site refused the credentials ({status})", status=status)
    if 300 <= status < 400:
        raise PlatformUnreachable(f"the site answered with a redirect ({status}): check the URL")
    if status >= 500:
        raise PlatformUnreachable(f"the site answered with a server error ({status})")
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        raise PlatformUnreachable(f"the site's answer is not JSON ({status})") from None
    if status >= 400:
        raise PlatformRejected(
            f"the site refused the request ({status}{_code(body)})", status=status
        )
    return Answer(status=status, body=body)


def _code(body: object) -> str:
    """The platform's short error code (`woocommerce_rest_invalid_id`), never its message."""
    code = body.get("code") if isinstance(body, dict) else None
    if isinstance(code, str) and len(code) <= 80 and code.replace("_", "").isalnum():
        return f", {code}"
    return ""
