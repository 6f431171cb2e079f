"""Settings: the one place that reads the environment.

`Settings.from_env()` validates everything at start-up so a bad deployment fails with
one clear line naming the variable, instead of failing on the first webhook.

In development, what is not set comes from the project's instance (see
`shopsync.instance`): the generated SECRET_KEY, the SQLite file, and the database,
Redis and public URL of the project's running `shopsync dev`. Production needs every
one of them said outright, and refuses what would be unsafe there.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from shopsync.crypto import weak_key_reason
from shopsync.errors import ConfigError
from shopsync.instance import DevServer, find_instance_path, running_dev_server
from shopsync.private_files import private_directory, write_private
from shopsync.smtp import SmtpServer, parse_smtp_url

Environment = Literal["development", "production", "test"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production", "test")
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    # Where store webhooks may go: "public" (https, public addresses only) or "any".
    webhook_targets: str = "public"
    # Multiplies every outbox retry delay (staging and tests shorten them).
    outbox_retry_scale: float = 1.0
    # How long a store's webhook receiver gets to answer before the attempt fails.
    outbound_timeout_seconds: int = 10
    # Days a finished event's payload (personal data) is kept before it is redacted.
    retention_days: int = 30
    # Earlier SECRET_KEYs, newest first: what they encrypted still decrypts.
    secret_key_fallbacks: tuple[str, ...] = ()
    # The sender of emails for stores that set none of their own.
    email_from: str = "orders@localhost"
    # Where the Stripe API is (None: Stripe's own); tests point it at a stand-in.
    stripe_api_base: str | None = None
    # Where every shop's Admin API is (None: the shop's own https://<shop>.myshopify.com).
    shopify_api_base: str | None = None
    # Operations: /metrics token, Redis TLS verification (see _operations_settings).
    metrics_token: str | None = None
    redis_tls_verify: bool = True
    redis_tls_ca_file: Path | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def smtp(self) -> SmtpServer | None:
        """Where emails go; None when SMTP_URL is not set (no email is written then)."""
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        initialize: bool = False,
        default_public_url: str = DEFAULT_PUBLIC_URL,
    ) -> Settings:
        """Settings from `environ` (the process's when None).

        `initialize` lets a development start create the instance folder and its
        SECRET_KEY (`shopsync dev`, `shopsync db upgrade`); other commands refuse to
        run outside a project rather than start an empty one somewhere else.
        `default_public_url` is where `shopsync dev` serves when PUBLIC_URL is not set.
        """
        source = os.environ if environ is None else environ
        env = _parse_env(source.get("SHOPSYNC_ENV", "development"))
        log_level = _parse_log_level(source.get("LOG_LEVEL"))
        instance_path = _instance_path(source)
        if env == "development":
            source = _with_dev_server(source, running_dev_server(instance_path))
        # The secret first: without it nothing else about a production start matters.
        secret_key = _resolve_secret_key(source.get("SECRET_KEY"), env, instance_path, initialize)
        public_url = _public_url(source.get("PUBLIC_URL"), env, default_public_url)
        return cls(
            env=env,
            instance_path=instance_path,
            database_url=_database_url(source.get("DATABASE_URL"), env, instance_path),
            redis_url=_require_redis_in_production(_parse_redis_url(source), env),
            secret_key=secret_key,
            public_url=public_url,
            smtp_url=_parse_smtp_setting(source.get("SMTP_URL")),
            log_level=log_level,
            secret_key_fallbacks=_parse_fallbacks(source.get("SECRET_KEY_FALLBACKS")),
            webhook_targets=_parse_webhook_targets(source.get("SHOPSYNC_WEBHOOK_TARGETS"), env),
            outbox_retry_scale=_parse_scale(
                "SHOPSYNC_OUTBOX_RETRY_SCALE", source.get("SHOPSYNC_OUTBOX_RETRY_SCALE")
            ),
            **_tuning(source),
            email_from=_parse_email_from(source.get("SHOPSYNC_EMAIL_FROM"), public_url),
            stripe_api_base=_parse_optional_url(
                "STRIPE_API_BASE", source.get("STRIPE_API_BASE"), ("http", "https")
            ),
            shopify_api_base=_parse_optional_url(
                "SHOPIFY_API_BASE", source.get("SHOPIFY_API_BASE"), ("http", "https")
            ),
            **_operations_settings(source),
        )


class _Tuning(TypedDict):
    max_body_bytes: int
    max_attempts: int
    retry_base_delay: timedelta
    claim_lease: timedelta
    drain_linger_seconds: int
    relay_grace: timedelta
    relay_interval: float
    retention_days: int
    outbound_timeout_seconds: int


def _tuning(source: Mapping[str, str]) -> _Tuning:
    def number(name: str, default: int, minimum: int = 1) -> int:
        return _parse_positive_int(name, source.get(name), default, minimum=minimum)

    return _Tuning(
        **{
            "max_body_bytes": number("SHOPSYNC_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
            "max_attempts": number("SHOPSYNC_MAX_ATTEMPTS", 8),
            "retry_base_delay": timedelta(seconds=number("SHOPSYNC_RETRY_BASE_SECONDS", 10)),
            "claim_lease": timedelta(seconds=number("SHOPSYNC_CLAIM_SECONDS", 120)),
            "drain_linger_seconds": number("SHOPSYNC_DRAIN_LINGER_SECONDS", 1, minimum=0),
            "relay_grace": timedelta(seconds=number("SHOPSYNC_RELAY_GRACE_SECONDS", 30)),
            "relay_interval": float(number("SHOPSYNC_RELAY_SECONDS", 5)),
            "retention_days": number("SHOPSYNC_RETENTION_DAYS", 30),
            "outbound_timeout_seconds": number("SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS", 10),
        }
    )


def _instance_path(source: Mapping[str, str]) -> Path:
    configured = source.get("SHOPSYNC_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    return find_instance_path(Path.cwd())


def _with_dev_server(source: Mapping[str, str], server: DevServer | None) -> Mapping[str, str]:
    """The running dev server's services, for whatever the environment does not say."""
    if server is None:
        return source
    recorded = {
        "DATABASE_URL": server.database_url,
        "REDIS_URL": server.redis_url,
        "PUBLIC_URL": server.public_url,
    }
    return {**recorded, **{name: value for name, value in source.items() if value}}


def _parse_env(value: str) -> Environment:
    for known in ENVIRONMENTS:
        if value == known:
            return known
    raise ConfigError(f"SHOPSYNC_ENV must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")


def _default_sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'shopsync.sqlite3'}"


def _database_url(value: str | None, env: Environment, instance_path: Path) -> str:
    if env == "production":
        # Heroku's filesystem is thrown away daily: a SQLite file there loses everything.
        if not value:
            raise ConfigError("DATABASE_URL is required when SHOPSYNC_ENV=production (Postgres)")
        if not value.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            raise ConfigError("DATABASE_URL must be a Postgres URL when SHOPSYNC_ENV=production")
    return normalize_database_url(value or _default_sqlite_url(instance_path))


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


def _parse_smtp_setting(value: str | None) -> str | None:
    if not value:
        return None
    parse_smtp_url(value)
    return value


def _parse_email_from(value: str | None, public_url: str) -> str:
    if value:
        local, at, domain = value.strip().rpartition("@")
        if not (local and at and domain) or any(c.isspace() or c in "<>,;" for c in value):
            raise ConfigError(
                "SHOPSYNC_EMAIL_FROM must be an email address such as orders@shop.example"
            )
        return value.strip().lower()
    host = urlsplit(public_url).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return f"orders@{host}"
    return "orders@localhost"


def _public_url(value: str | None, env: Environment, default: str) -> str:
    if env != "production":
        return _parse_public_url(value or default)
    if not value:
        raise ConfigError(
            "PUBLIC_URL is required when SHOPSYNC_ENV=production (the https URL of this app)"
        )
    if urlsplit(value).scheme != "https":
        raise ConfigError("PUBLIC_URL must start with https:// when SHOPSYNC_ENV=production")
    return _parse_public_url(value)


def _parse_public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_URL must be an absolute http(s) URL such as https://shop.example")
    return value.rstrip("/")


def _parse_log_level(value: str | None) -> str:
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def _parse_fallbacks(value: str | None) -> tuple[str, ...]:
    return tuple(key.strip() for key in (value or "").split(",") if key.strip())


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


WEBHOOK_TARGET_POLICIES = ("public", "any")


def _parse_webhook_targets(value: str | None, env: Environment) -> str:
    # Development and tests run receivers on this machine; production never should.
    if not value:
        return "public" if env == "production" else "any"
    if value not in WEBHOOK_TARGET_POLICIES:
        raise ConfigError("SHOPSYNC_WEBHOOK_TARGETS must be public or any")
    return value


def _parse_scale(name: str, value: str | None) -> float:
    if not value:
        return 1.0
    try:
        scale = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number such as 0.01, got {value!r}") from None
    if not 0 < scale <= 1:
        raise ConfigError(f"{name} must be more than 0 and at most 1")
    return scale


def _resolve_secret_key(
    value: str | None, env: Environment, instance_path: Path, initialize: bool
) -> str:
    if value:
        weakness = weak_key_reason(value) if env == "production" else None
        if weakness is not None:
            raise ConfigError(
                f"SECRET_KEY is too weak for production: it {weakness} "
                "(use 32+ random characters, e.g. `openssl rand -hex 32`)"
            )
        return value
    if env == "production":
        raise ConfigError("SECRET_KEY is required when SHOPSYNC_ENV=production")
    return _load_or_create_dev_secret(instance_path, create=initialize)


def _load_or_create_dev_secret(instance_path: Path, *, create: bool) -> str:
    """Keep a generated key in instance/ so dev restarts keep sessions and credentials."""
    path = instance_path / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    if not create:
        raise ConfigError(
            f"no shopsync instance at {instance_path}: run this inside the project "
            "(where `shopsync dev` ran), or set SHOPSYNC_INSTANCE_PATH"
        )
    private_directory(instance_path)
    key = secrets.token_urlsafe(48)
    write_private(path, key)
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
