"""Reading one setting at a time: each parser names its variable in the error it raises.

`shopsync.config.Settings.from_env` puts these together; nothing here reads the
environment itself.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from shopsync.crypto import weak_key_reason
from shopsync.errors import ConfigError
from shopsync.instance import DevServer, find_instance_path
from shopsync.private_files import private_directory, write_private
from shopsync.smtp import parse_smtp_url

Environment = Literal["development", "production", "test"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production", "test")
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def resolve_instance_path(source: Mapping[str, str]) -> Path:
    configured = source.get("SHOPSYNC_INSTANCE_PATH")
    if configured:
        return Path(configured).resolve()
    return find_instance_path(Path.cwd())


def with_dev_server(source: Mapping[str, str], server: DevServer | None) -> Mapping[str, str]:
    """The running dev server's services, for whatever the environment does not say."""
    if server is None:
        return source
    recorded = {
        "DATABASE_URL": server.database_url,
        "REDIS_URL": server.redis_url,
        "PUBLIC_URL": server.public_url,
    }
    return {**recorded, **{name: value for name, value in source.items() if value}}


def parse_env(value: str) -> Environment:
    for known in ENVIRONMENTS:
        if value == known:
            return known
    raise ConfigError(f"SHOPSYNC_ENV must be one of {', '.join(ENVIRONMENTS)}, got {value!r}")


def default_sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'shopsync.sqlite3'}"


def resolve_database_url(value: str | None, env: Environment, instance_path: Path) -> str:
    if env == "production":
        # Heroku's filesystem is thrown away daily: a SQLite file there loses everything.
        if not value:
            raise ConfigError("DATABASE_URL is required when SHOPSYNC_ENV=production (Postgres)")
        if not value.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            raise ConfigError("DATABASE_URL must be a Postgres URL when SHOPSYNC_ENV=production")
    return normalize_database_url(value or default_sqlite_url(instance_path))


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


def parse_redis_url(source: Mapping[str, str]) -> str | None:
    # Heroku sets both; the TLS one is the one to use when present.
    for name in ("REDIS_TLS_URL", "REDIS_URL"):
        value = source.get(name)
        if value:
            return parse_optional_url(name, value, ("redis", "rediss", "unix"))
    return None


def require_redis_in_production(url: str | None, env: Environment) -> str | None:
    if url is None and env == "production":
        raise ConfigError("REDIS_URL (or REDIS_TLS_URL) is required when SHOPSYNC_ENV=production")
    return url


def parse_optional_url(name: str, value: str | None, schemes: tuple[str, ...]) -> str | None:
    if not value:
        return None
    scheme = urlsplit(value).scheme
    if scheme not in schemes:
        raise ConfigError(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}")
    return value


def parse_smtp_setting(value: str | None) -> str | None:
    if not value:
        return None
    parse_smtp_url(value)
    return value


def parse_email_from(value: str | None, public_url: str) -> str:
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


def resolve_public_url(value: str | None, env: Environment, default: str) -> str:
    if env != "production":
        return parse_public_url(value or default)
    if not value:
        raise ConfigError(
            "PUBLIC_URL is required when SHOPSYNC_ENV=production (the https URL of this app)"
        )
    if urlsplit(value).scheme != "https":
        raise ConfigError("PUBLIC_URL must start with https:// when SHOPSYNC_ENV=production")
    return parse_public_url(value)


def parse_public_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("PUBLIC_URL must be an absolute http(s) URL such as https://shop.example")
    return value.rstrip("/")


def parse_log_level(value: str | None) -> str:
    level = (value or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level


def parse_fallbacks(value: str | None) -> tuple[str, ...]:
    return tuple(key.strip() for key in (value or "").split(",") if key.strip())


def parse_positive_int(name: str, value: str | None, default: int, minimum: int = 1) -> int:
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


def parse_webhook_targets(value: str | None, env: Environment) -> str:
    # Development and tests run receivers on this machine; production never should.
    if not value:
        return "public" if env == "production" else "any"
    if value not in WEBHOOK_TARGET_POLICIES:
        raise ConfigError("SHOPSYNC_WEBHOOK_TARGETS must be public or any")
    return value


def parse_scale(name: str, value: str | None) -> float:
    if not value:
        return 1.0
    try:
        scale = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number such as 0.01, got {value!r}") from None
    if not 0 < scale <= 1:
        raise ConfigError(f"{name} must be more than 0 and at most 1")
    return scale


def resolve_secret_key(
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
    return load_or_create_dev_secret(instance_path, create=initialize)


def load_or_create_dev_secret(instance_path: Path, *, create: bool) -> str:
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


class OperationsSettings(TypedDict):
    metrics_token: str | None
    redis_tls_verify: bool
    redis_tls_ca_file: Path | None


def operations_settings(source: Mapping[str, str]) -> OperationsSettings:
    """Who may read /metrics, and how a `rediss://` server's certificate is checked."""
    ca_file = source.get("REDIS_TLS_CA_FILE") or None
    if ca_file is not None and not Path(ca_file).is_file():
        raise ConfigError(f"REDIS_TLS_CA_FILE {ca_file!r} is not a readable file")
    return {
        "metrics_token": source.get("SHOPSYNC_METRICS_TOKEN") or None,
        "redis_tls_verify": parse_bool("REDIS_TLS_VERIFY", source.get("REDIS_TLS_VERIFY"), True),
        "redis_tls_ca_file": None if ca_file is None else Path(ca_file),
    }


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")
