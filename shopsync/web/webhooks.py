"""Webhook receipt: read the raw body, hand it to ingest, map the outcome to HTTP."""

from __future__ import annotations

import logging

from flask import Blueprint, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import MethodNotAllowed

from shopsync.errors import PayloadTooLarge, WebhookError
from shopsync.pipeline import ingest
from shopsync.pipeline.registry import IncomingRequest, registry
from shopsync.web.state import app_state

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


@bp.route("/webhooks/<provider>/<key>", methods=["POST", "GET", "HEAD"])
@bp.route("/webhooks/<provider>/<key>/<path_secret>", methods=["POST", "GET", "HEAD"])
def receive(provider: str, key: str, path_secret: str | None = None) -> tuple[dict[str, str], int]:
    """Any 2xx tells the provider we have it; so answer 200 only once it is durable.

    `path_secret` is the URL's second secret, for providers that sign nothing (Mailchimp).
    """
    spec = registry.provider(provider)
    if spec is not None and request.method != "POST" and not spec.answers_get:
        raise MethodNotAllowed(valid_methods=["POST"])
    state = app_state()
    try:
        incoming = IncomingRequest(
            method=request.method,
            headers=request.headers,
            body=_read_body(state.runtime.settings.max_body_bytes),
            content_type=request.mimetype,
            path_secret=path_secret,
        )
        receipt = ingest.receive(
            state.runtime,
            state.directory,
            registry,
            state.waker,
            provider_name=provider,
            key=key,
            incoming=incoming,
        )
    except WebhookError as refused:
        log.info("refused %s delivery: %s", provider[:40], refused)
        return {"error": str(refused)}, refused.status
    except DBAPIError as error:
        log.error(
            "database unavailable while receiving %s (%s)", provider[:40], type(error).__name__
        )
        return {"error": "temporarily unavailable, retry later"}, 503
    if receipt is ingest.Receipt.UNKNOWN_ENDPOINT:
        return {"error": "not found"}, 404
    return {"status": receipt.value}, 200


def _read_body(limit: int) -> bytes:
    """The raw bytes, before anything parses them; over `limit` is a 413 either way."""
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    if length is None and request.environ.get("wsgi.input_terminated"):
        # Chunked upload: the server ends the stream, we stop reading one byte past the cap.
        body: bytes = request.environ["wsgi.input"].read(limit + 1)
    else:
        body = request.get_data(cache=True)
    if len(body) > limit:
        raise PayloadTooLarge(f"body larger than {limit} bytes")
    return body
