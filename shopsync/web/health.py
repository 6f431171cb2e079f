"""Liveness and readiness probes, and the answer when stored secrets do not decrypt.

A changed SECRET_KEY without the old one in SECRET_KEY_FALLBACKS leaves the stored
signing secrets unreadable: no delivery can be verified. Then `/readyz` says so (503,
`"secrets": "undecryptable"`) and every request that needs a secret gets a 503 the
provider retries later, with one log line -- never a 500 and a traceback.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, current_app, request
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shopsync.errors import ConfigError, SecretsUnreadable
from shopsync.stores.encryption import stored_secrets_decrypt
from shopsync.web.state import app_state

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

# How long a secrets check is reused: probes come every few seconds, keys change rarely.
SECRETS_CHECK_SECONDS = 30.0
PROBE_KEY = "shopsync.secrets_probe"


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """The process answers; says nothing about its dependencies."""
    return {"status": "ok"}, 200


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Database and Redis answer, and the stored secrets decrypt."""
    database = _database_ok()
    checks = {
        "database": database,
        "redis": _redis_ok(),
        "secrets": _secrets_probe().status() if database == "ok" else "unknown",
    }
    ready = all(value == "ok" for value in checks.values())
    return checks, 200 if ready else 503


@bp.app_errorhandler(SecretsUnreadable)
def secrets_unreadable(error: SecretsUnreadable) -> tuple[dict[str, str], int]:
    log.error("%s %s refused with 503: %s", request.method, request.url_rule, error)
    return {"error": "temporarily unavailable, retry later"}, 503


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


class SecretsProbe:
    """Decrypts a few stored secrets, at most once per SECRETS_CHECK_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._status = "ok"

    def status(self) -> str:
        with self._lock:
            if time.monotonic() - self._checked_at < SECRETS_CHECK_SECONDS:
                return self._status
            status = self._check()
            if status != "unknown":  # a database that did not answer says nothing of keys
                self._status, self._checked_at = status, time.monotonic()
            return status

    @staticmethod
    def _check() -> str:
        runtime = app_state().runtime
        try:
            readable = stored_secrets_decrypt(runtime.engine, runtime.vault)
        except DBAPIError:
            return "unknown"
        return "ok" if readable else "undecryptable"


def _secrets_probe() -> SecretsProbe:
    probe: SecretsProbe = current_app.extensions.setdefault(PROBE_KEY, SecretsProbe())
    return probe
