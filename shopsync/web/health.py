"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shopsync.errors import ConfigError
from shopsync.web.state import app_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Database and Redis both answer."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    ready = all(value == "ok" for value in checks.values())
    return checks, 200 if ready else 503


def _database_ok() -> str:
    try:
        with app_state().runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError:
        return "unavailable"
    return "ok"


def _redis_ok() -> str:
    try:
        app_state().runtime.redis.ping()
    except (RedisError, ConfigError):
        return "unavailable"
    return "ok"
