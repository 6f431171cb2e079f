"""Settings: the one place that reads the environment.

`Settings.from_env()` validates everything at start-up so a bad deployment fails with
one clear line naming the variable, instead of failing on the first webhook.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from shopsync.errors import ConfigError

Environment = Literal["development", "production", "test"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production", "test")
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
# Known-weak values that must never sign sessions or encrypt credentials in production.
WEAK_SECRET_KEYS = frozenset({"", "dev", "secret", "changeme", "change-me", "development"})


@dataclass(frozen=True)
class Settings:
    """Validated configuration for one process."""

    env: Environment
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    public_url: str
    smtp_url: str | None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    log_level: str = "INFO"
    max_attempts: int = 8
    retry_base_delay: timedelta = timedelta(seconds=10)
    claim_lease: timedelta = timedelta(minutes=2)
    relay_interval: float = 5.0
    # How long a received row waits for its wake-up before the relay pushes it again.
    relay_grace: timedelta = timedelta(seconds=30)
    # How long an idle drain job waits for new arrivals before it ends (0: not at all).
    drain_linger_seconds: int = 1
    # Operations: /metrics token, Redis TLS verification (see _operations_settings).
    metrics_token: str | None = None
    redis_tls_verify: bool = True
    redis_tls_ca_file: Path | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if environ is None else environ
        env = _parse_env(source.get("SHOPSYNC_ENV", "development"))
        instance_path = Path(source.get("SHOPSYNC_INSTANCE_PATH", "instance")).resolve()
        # The secret first: without it nothing else about a production start matters.
        secret_key = _resolve_secret_key(source.get("SECRET_KEY"), env, instance_path)
        return cls(
            env=env,
            instance_path=instance_path,
            database_url=normalize_database_url(
                source.get("DATABASE_URL") or _default_sqlite_url(instance_path)
            ),
            redis_url=_require_redis_in_production(_parse_redis_url(source), env),
            secret_key=secret_key,
            public_url=_parse_public_url(source.get("PUBLIC_URL", "http://127.0.0.1:5000")),
            smtp_url=_parse_optional_url("SMTP_URL", source.get("SMTP_URL"), ("smtp", "smtps")),
            max_body_bytes=_parse_positive_int(
                "SHOPSYNC_MAX_BODY_BYTES",
                source.get("SHOPSYNC_MAX_BODY_BYTES"),
                DEFAULT_MAX_BODY_BYTES,
            ),
            log_level=source.get("LOG_LEVEL", "INFO").upper(),
            max_attempts=_parse_positive_int(
                "SHOPSYNC_MAX_ATTEMPTS", source.get("SHOPSYNC_MAX_ATTEMPTS"), 8
            ),
            retry_base_delay=timedelta(
                seconds=_parse_positive_int(
                    "SHOPSYNC_RETRY_BASE_SECONDS", source.get("SHOPSYNC_RETRY_BASE_SECONDS"), 10
                )
            ),
            claim_lease=timedelta(
                seconds=_parse_positive_int(
                    "SHOPSYNC_CLAIM_SECONDS", source.get("SHOPSYNC_CLAIM_SECONDS"), 120
                )
            ),
            drain_linger_seconds=_parse_positive_int(
                "SHOPSYNC_DRAIN_LINGER_SECONDS",
                source.get("SHOPSYNC_DRAIN_LINGER_SECONDS"),
                1,
                minimum=0,
            ),
            relay_grace=timedelta(
                seconds=_parse_positive_int(
                    "SHOPSYNC_RELAY_GRACE_SECONDS", source.get("SHOPSYNC_RELAY_GRACE_SECONDS"), 30
                )
            ),
            relay_interval=float(
                _parse_positive_int(
                    "SHOPSYNC_RELAY_SECONDS", source.get("SHOPSYNC_RELAY_SECONDS"), 5
                )
            ),
            **_operations_settings(source),
        )


def _parse_env(value: str) -> Environment:
    for known in ENVIRONMENTS:
        if value == known:
            return known
    raise ConfigError(f"SHOPSYNC_ENV must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")


def _default_sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'shopsync.sqlite3'}"


def normalize_database_url(url: str) -> str:
    """Accept Heroku's `postgres://` and pick the psycopg 3 driver for Postgres."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError("DATABASE_URL must be a URL such as postgres://user@host/db")
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme == "sqlite":
        return url
    raise ConfigError(f"DATABASE_URL scheme {scheme!r} is not supported (use postgres or sqlite)")


def _parse_redis_url(source: Mapping[str, str]) -> str | None:
    # Heroku sets both; the TLS one is the one to use when present.
    for name in ("REDIS_TLS_URL", "REDIS_URL"):
        value = source.get(name)
        if value:
            return _parse_optional_url(name, value, ("redis", "rediss", "unix"))
    return None


def _require_redis_in_production(url: str | None, env: Environment) -> str | None:
    if url is None and env == "production":
        raise ConfigError("REDIS_URL (or REDIS_TLS_URL) is required when SHOPSYNC_ENV=production")
    return url


def _parse_optional_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if not value:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ConfigError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    return value


def _parse_public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_URL must be an absolute http(s) URL such as https://shop.example")
    return value.rstrip("/")


def _parse_positive_int(name: str, value: str | None, default: int, minimum: int = 1) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def _resolve_secret_key(value: str | None, env: Environment, instance_path: Path) -> str:
    if value:
        if env == "production" and (value.lower() in WEAK_SECRET_KEYS or len(value) < 32):
            raise ConfigError("SECRET_KEY is too weak for production (use 32+ random characters)")
        return value
    if env == "production":
        raise ConfigError("SECRET_KEY is required when SHOPSYNC_ENV=production")
    return _load_or_create_dev_secret(instance_path)


def _load_or_create_dev_secret(instance_path: Path) -> str:
    """Keep a generated key in instance/ so dev restarts keep sessions and credentials."""
    path = instance_path / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class _OperationsSettings(TypedDict):
    metrics_token: str | None
    redis_tls_verify: bool
    redis_tls_ca_file: Path | None


def _operations_settings(source: Mapping[str, str]) -> _OperationsSettings:
    """Who may read /metrics, and how a `rediss://` server's certificate is checked."""
    ca_file = source.get("REDIS_TLS_CA_FILE") or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise ConfigError(f"REDIS_TLS_CA_FILE {ca_file!r} is not a readable file")
    return {
        "metrics_token": source.get("SHOPSYNC_METRICS_TOKEN") or None,
        "redis_tls_verify": _parse_bool("REDIS_TLS_VERIFY", source.get("REDIS_TLS_VERIFY"), True),
        "redis_tls_ca_file": None if ca_file is None else Path(ca_file),
    }


def _parse_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")
