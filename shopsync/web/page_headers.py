"""Headers for HTML pages: a strict Content-Security-Policy, no framing, no indexing.

Every script and style comes from /static (no CDN, nothing inline); the only inline
style allowed is one carrying this response's nonce (a store's brand colour). Blueprint
`after_request` hooks call `protect_page`, which overwrites, so a page always leaves with
its own policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response, g


def content_security_policy(*, images: Iterable[str] = ()) -> str:
    styles = "'self'"
    if "csp_nonce" in g:
        styles += f" 'nonce-{g.csp_nonce}'"
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {styles}",
            " ".join(("img-src 'self'", *images)),
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        )
    )


def protect_page(
    response: Response, *, referrer: str = "same-origin", images: Iterable[str] = ()
) -> Response:
    """Apply the page policy; `referrer` is `no-referrer` where the URL itself is a secret."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(images=images)
    headers["Referrer-Policy"] = referrer
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["X-Robots-Tag"] = "noindex, nofollow"
    headers["Cache-Control"] = "no-store"
    return response
