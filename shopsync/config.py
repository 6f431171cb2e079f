"""Settings: the one place that reads the environment.

`Settings.from_env()` validates everything at start-up so a bad deployment fails with
one clear line naming the variable, instead of failing on the first webhook.

In development, what is not set comes from the project's instance (see
`shopsync.instance`): the generated SECRET_KEY, the SQLite file, and the database,
Redis and public URL of the project's running `shopsync dev`. Production needs every
one of them said outright, and refuses what would be unsafe there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from shopsync.instance import running_dev_server
from shopsync.settings_values import (
    Environment,
    normalize_database_url,
    operations_settings,
    parse_email_from,
    parse_env,
    parse_fallbacks,
    parse_log_level,
    parse_optional_url,
    parse_positive_int,
    parse_redis_url,
    parse_scale,
    parse_smtp_setting,
    parse_webhook_targets,
    require_redis_in_production,
    resolve_database_url,
    resolve_instance_path,
    resolve_public_url,
    resolve_secret_key,
    with_dev_server,
)
from shopsync.smtp import SmtpServer, parse_smtp_url

__all__ = ["Environment", "Settings", "normalize_database_url"]

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5000"


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
    # Where the Mailchimp Marketing API is (None: the key's own data centre,
    # https://<dc>.api.mailchimp.com/3.0); tests point it at a stand-in.
    mailchimp_api_base: str | None = None
    # Operations: /metrics token, Redis TLS verification (see operations_settings).
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
        env = parse_env(source.get("SHOPSYNC_ENV", "development"))
        log_level = parse_log_level(source.get("LOG_LEVEL"))
        instance_path = resolve_instance_path(source)
        if env == "development":
            source = with_dev_server(source, running_dev_server(instance_path))
        # The secret first: without it nothing else about a production start matters.
        secret_key = resolve_secret_key(source.get("SECRET_KEY"), env, instance_path, initialize)
        public_url = resolve_public_url(source.get("PUBLIC_URL"), env, default_public_url)
        return cls(
            env=env,
            instance_path=instance_path,
            database_url=resolve_database_url(source.get("DATABASE_URL"), env, instance_path),
            redis_url=require_redis_in_production(parse_redis_url(source), env),
            secret_key=secret_key,
            public_url=public_url,
            smtp_url=parse_smtp_setting(source.get("SMTP_URL")),
            log_level=log_level,
            secret_key_fallbacks=parse_fallbacks(source.get("SECRET_KEY_FALLBACKS")),
            webhook_targets=parse_webhook_targets(source.get("SHOPSYNC_WEBHOOK_TARGETS"), env),
            outbox_retry_scale=parse_scale(
                "SHOPSYNC_OUTBOX_RETRY_SCALE", source.get("SHOPSYNC_OUTBOX_RETRY_SCALE")
            ),
            **_tuning(source),
            email_from=parse_email_from(source.get("SHOPSYNC_EMAIL_FROM"), public_url),
            stripe_api_base=parse_optional_url(
                "STRIPE_API_BASE", source.get("STRIPE_API_BASE"), ("http", "https")
            ),
            shopify_api_base=parse_optional_url(
                "SHOPIFY_API_BASE", source.get("SHOPIFY_API_BASE"), ("http", "https")
            ),
            mailchimp_api_base=parse_optional_url(
                "MAILCHIMP_API_BASE", source.get("MAILCHIMP_API_BASE"), ("http", "https")
            ),
            **operations_settings(source),
        )


# Tuning settings: (field, variable, minimum). Defaults are the Settings fields' own,
# so each default is written once; durations are given in seconds.
TUNING = (
    ("max_body_bytes", "SHOPSYNC_MAX_BODY_BYTES", 1),
    ("max_attempts", "SHOPSYNC_MAX_ATTEMPTS", 1),
    ("retry_base_delay", "SHOPSYNC_RETRY_BASE_SECONDS", 1),
    ("claim_lease", "SHOPSYNC_CLAIM_SECONDS", 1),
    ("drain_linger_seconds", "SHOPSYNC_DRAIN_LINGER_SECONDS", 0),
    ("relay_grace", "SHOPSYNC_RELAY_GRACE_SECONDS", 1),
    ("relay_interval", "SHOPSYNC_RELAY_SECONDS", 1),
    ("retention_days", "SHOPSYNC_RETENTION_DAYS", 1),
    ("outbound_timeout_seconds", "SHOPSYNC_OUTBOUND_TIMEOUT_SECONDS", 1),
)


def _tuning(source: Mapping[str, str]) -> dict[str, Any]:
    defaults: dict[str, Any] = {field.name: field.default for field in fields(Settings)}
    values: dict[str, Any] = {}
    for name, variable, minimum in TUNING:
        default = defaults[name]
        seconds = isinstance(default, timedelta)
        given = parse_positive_int(
            variable,
            source.get(variable),
            int(default.total_seconds() if seconds else default),
            minimum=minimum,
        )
        values[name] = timedelta(seconds=given) if seconds else type(default)(given)
    return values
