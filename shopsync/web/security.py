"""Headers every response carries, whatever produced it.

Nothing shopsync serves may be cached by a proxy (webhook answers, order status,
the API), sniffed into another content type, or leak its URL (which can hold an
endpoint key or an order token) through a Referer. In production, browsers are told
to use https only.
"""

from __future__ import annotations

from flask import Flask, Response

HSTS = "max-age=31536000"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def install_response_headers(app: Flask, *, production: bool) -> None:
    headers = {**HEADERS, "Strict-Transport-Security": HSTS} if production else HEADERS

    @app.after_request
    def add_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
