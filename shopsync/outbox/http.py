"""Outbound HTTP to URLs someone else chose: no redirects, short timeouts, no private hosts.

A store owner types a subscriber URL; nothing stops it from naming the cloud's metadata
service or a database next door. So, under the `public` policy (production's), every
connection is checked after DNS resolution and on every attempt: the host must resolve
only to public addresses, and the connection goes to the very address that was checked
(a second lookup could answer differently). TLS still verifies the URL's host name.
httpcore never follows redirects, which is what we want: a 3xx is a failed delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import httpcore

from shopsync.outbox.tls import verifying_context

CONNECT_SECONDS = 5.0
USER_AGENT = "shopsync-webhooks/1"


class TargetPolicy(StrEnum):
    # https only, public addresses only: what production uses.
    PUBLIC = "public"
    # Anything, for development and tests that run receivers on this machine.
    ANY = "any"


class BlockedDestination(httpcore.ConnectError):
    """The URL's host is not allowed under the policy (private address, wrong scheme)."""


def check_url(url: str, policy: TargetPolicy) -> str | None:
    """Why `url` cannot be a destination under `policy`, or None when it can."""
    parts = urlsplit(url)
    allowed = ("https",) if policy is TargetPolicy.PUBLIC else ("https", "http")
    if parts.scheme not in allowed:
        return f"the URL must start with {' or '.join(s + '://' for s in allowed)}"
    if not parts.hostname or parts.username or parts.password:
        return "the URL needs a host name and no user name or password"
    if policy is TargetPolicy.PUBLIC and _is_literal_private(parts.hostname):
        return "the URL points at a private, loopback or link-local address"
    return None


def _is_literal_private(host: str) -> bool:
    try:
        return not _is_public(ipaddress.ip_address(host))
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


class GuardedBackend(httpcore.SyncBackend):
    """Connects only to public addresses, to the address it checked."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        address = _public_address(host, port)
        return super().connect_tcp(address, port, timeout, local_address, socket_options)


def _public_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise httpcore.ConnectError(f"cannot resolve {host}") from error
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses or not all(_is_public(address) for address in addresses):
        raise BlockedDestination(f"{host} resolves to a private, loopback or link-local address")
    return str(addresses[0])


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]


def new_pool(policy: TargetPolicy) -> httpcore.ConnectionPool:
    backend = GuardedBackend() if policy is TargetPolicy.PUBLIC else None
    return httpcore.ConnectionPool(
        ssl_context=verifying_context(),
        max_connections=10,
        network_backend=backend,
    )


def post(
    pool: httpcore.ConnectionPool,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
) -> Response:
    """POST once and read only the status and headers (a body could be endless).

    Raises httpcore's errors (timeouts, refused, blocked) for the caller to judge.
    """
    with pool.stream(
        "POST",
        url,
        headers=[("User-Agent", USER_AGENT), *headers.items()],
        content=body,
        extensions={"timeout": _timeouts(timeout)},
    ) as response:
        names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
        return Response(status=response.status, headers=names)


def _timeouts(seconds: float) -> dict[str, float]:
    connect = min(CONNECT_SECONDS, seconds)
    return {"connect": connect, "read": seconds, "write": seconds, "pool": connect}
