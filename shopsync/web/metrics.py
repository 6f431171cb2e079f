"""`/metrics` in Prometheus' text format: inbox rows by status and queue depth.

With SHOPSYNC_METRICS_TOKEN set, only `Authorization: Bearer <token>` may read it.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

from shopsync.errors import ConfigError
from shopsync.models import WebhookEvent
from shopsync.outbox.stats import outbox_stats
from shopsync.pipeline.jobs import LANE as INBOX_LANE
from shopsync.web.state import app_state

bp = Blueprint("metrics", __name__)

UNAUTHORIZED = ({"error": "missing or invalid metrics token"}, 401, {"WWW-Authenticate": "Bearer"})


@bp.get("/metrics")
def metrics() -> Response | tuple[dict[str, str], int, dict[str, str]]:
    if not _authorized(app_state().runtime.settings.metrics_token):
        return UNAUTHORIZED
    lines = [
        "# HELP shopsync_inbox_events Webhook events in the inbox, by status.",
        "# TYPE shopsync_inbox_events gauge",
        *(f'shopsync_inbox_events{{status="{s}"}} {n}' for s, n in _counts_by_status()),
        "# HELP shopsync_inbox_waiting Event ids waiting in Redis for a worker.",
        "# TYPE shopsync_inbox_waiting gauge",
        f"shopsync_inbox_waiting {_waiting()}",
        *_outbox_lines(),
    ]
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


def _authorized(token: str | None) -> bool:
    if token is None:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


def _counts_by_status() -> list[tuple[str, int]]:
    statement = select(col(WebhookEvent.status), func.count()).group_by(col(WebhookEvent.status))
    try:
        with app_state().runtime.engine.connect() as connection:
            return [(str(s), int(n)) for s, n in connection.execute(statement)]
    except DBAPIError:
        return []


def _waiting() -> int:
    try:
        return INBOX_LANE.waiting(app_state().runtime.redis)
    except (RedisError, ConfigError):
        return -1


def _outbox_lines() -> list[str]:
    try:
        stats = outbox_stats(app_state().runtime.engine)
    except DBAPIError:
        return []
    return [
        "# HELP shopsync_outbox_messages Outbox messages, by kind and status.",
        "# TYPE shopsync_outbox_messages gauge",
        *(
            f'shopsync_outbox_messages{{kind="{k}",status="{s}"}} {n}'
            for k, s, n in stats.by_kind_and_status
        ),
        "# HELP shopsync_outbox_oldest_waiting_seconds Age of the oldest unsent message.",
        "# TYPE shopsync_outbox_oldest_waiting_seconds gauge",
        f"shopsync_outbox_oldest_waiting_seconds {stats.oldest_waiting_seconds:.1f}",
        "# HELP shopsync_outbox_redeliveries Sends retried after a sender was lost mid-send.",
        "# TYPE shopsync_outbox_redeliveries counter",
        f"shopsync_outbox_redeliveries {stats.redeliveries}",
    ]
