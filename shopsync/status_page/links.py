"""Links on customer pages: only http(s), with a host, no credentials, nothing odd.

Carriers' tracking URLs come from webhooks and logos from settings: anything a store or
a carrier typed. A `javascript:` or `data:` URL in an href would run in the customer's
page, so every outside link passes `safe_link` and is left out when it does not.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_LINK_LENGTH = 1000
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f\\<>\"'`]")


def safe_link(url: str | None, *, schemes: tuple[str, ...] = ("https", "http")) -> str | None:
    """The URL when it is a plain web link with one of `schemes`, else None."""
    if not url or len(url) > MAX_LINK_LENGTH or _FORBIDDEN.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None or port == 0:
        return None
    return url


def status_path(token: str) -> str:
    return f"/orders/{token}"


def status_url(public_url: str, token: str) -> str:
    """Where a customer follows an order (PUBLIC_URL is the deployment's own address)."""
    return public_url.rstrip("/") + status_path(token)
