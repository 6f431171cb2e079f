"""The one filter for links taken from payloads: customers may be sent to them.

A link a provider sends (a carrier's tracking page, say) ends up in the store's API and
on the status page, so only a plain web address passes: an absolute `http`/`https` URL
with a host, no user name or password, and nothing a browser would read differently
from how it looks. Browsers drop tabs and newlines inside a URL and treat a backslash
as a slash, so `java\\tscript:` or `https:\\\\evil.example` are refused, not cleaned up;
so is any invisible or control character. Too long is refused too: a clipped link is
a wrong link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def safe_web_url(value: object, limit: int) -> str | None:
    """`value`, stripped of surrounding whitespace, if it is a safe web link; else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > limit or not _plain_text(url):
        return None
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a malformed port or IPv6 literal
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname or not port_ok:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return url


def _plain_text(url: str) -> bool:
    # isprintable() is False for control, format (zero-width, bidi) and separator
    # characters other than the ASCII space, which has no place inside a URL either.
    return url.isprintable() and " " not in url and "\\" not in url
